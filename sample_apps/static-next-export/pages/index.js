import Link from "next/link";

export default function Home() {
  return (
    <main>
      <h1>Hello from static-next-export!</h1>
      <Link href="/about">About</Link>
    </main>
  );
}
