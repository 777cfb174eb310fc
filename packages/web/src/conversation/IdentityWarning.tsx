/** The warning shown while a contact's safety number changed: nothing is sent until the person decides. */
export function IdentityWarning(props: { peer: string; onShowNumber: () => void; onTrust: () => void }) {
  return (
    <div className="banner error" role="alert">
      The safety number with {props.peer} has changed. They may have reinstalled Parley, or someone may be intercepting your messages. Compare the new number in person before you send anything.
      <button className="secondary" onClick={props.onShowNumber}>
        Show the new number
      </button>
      <button onClick={props.onTrust}>I compared it: trust the new key</button>
    </div>
  );
}
