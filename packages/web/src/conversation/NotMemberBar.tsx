/** In place of the composer once we left a group or were removed: why nothing can be sent. */
export function NotMemberBar() {
  return (
    <div className="request not-member" role="note" aria-label="Sending is off">
      <p>You can't send messages to this group because you're no longer a member. The history stays in this browser.</p>
    </div>
  );
}
