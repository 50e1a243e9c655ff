export default function About() {
  return <main><h1>About static-next-export</h1></main>;
}
