export default function SessionsPage() {
  return (
    <>
      <div className="page-head">
        <h1>Consult sessions</h1>
      </div>
      <p className="empty" data-testid="sessions-placeholder">
        Consult sessions you are invited to appear here.
      </p>
    </>
  );
}
