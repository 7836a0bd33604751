import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="page page-center">
      <div className="card">
        <h1>Page not found</h1>
        <p className="muted">
          <Link href="/">Back to Teleread</Link>
        </p>
      </div>
    </main>
  );
}
