export default function NotFound() {
  return <main><h1>static-next-export: page not found</h1></main>;
}
