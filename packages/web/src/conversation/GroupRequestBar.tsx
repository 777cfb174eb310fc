/** A group a stranger added us to: accept it, or leave. Until then they learn nothing about our reading or typing. */
export function GroupRequestBar(props: { addedBy: string | undefined; onAccept: () => void; onLeave: () => void }) {
  return (
    <div className="request" role="region" aria-label="Group request">
      <p>
        {props.addedBy ? (
          <>
            <strong>{props.addedBy}</strong>, who is not in your contacts, added you to this group.
          </>
        ) : (
          <>Someone who is not in your contacts added you to this group.</>
        )}{' '}
        Its members will not know you read their messages until you accept.
      </p>
      <div className="actions">
        <button onClick={props.onAccept}>Accept</button>
        <button className="secondary" onClick={props.onLeave}>
          Leave
        </button>
      </div>
    </div>
  );
}
