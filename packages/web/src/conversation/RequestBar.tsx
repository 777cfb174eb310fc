/** A message request from someone not in the contacts: accept, block or delete. */
export function RequestBar(props: { peer: string; onAccept: () => void; onBlock: () => void; onDelete: () => void }) {
  return (
    <div className="request" role="region" aria-label="Message request">
      <p>
        <strong>{props.peer}</strong> is not in your contacts. They will not know you read their messages until you accept.
      </p>
      <div className="actions">
        <button onClick={props.onAccept}>Accept</button>
        <button className="secondary" onClick={props.onBlock}>
          Block
        </button>
        <button className="secondary" onClick={props.onDelete}>
          Delete
        </button>
      </div>
    </div>
  );
}
