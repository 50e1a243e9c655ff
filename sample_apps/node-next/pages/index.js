export default function Home({ renderedAt }) {
  return (
    <main>
      <h1>Hello from node-next!</h1>
      <p>Server-rendered by Next.js standalone at request time: {renderedAt}</p>
    </main>
  );
}

export async function getServerSideProps() {
  return { props: { renderedAt: "request" } };
}
