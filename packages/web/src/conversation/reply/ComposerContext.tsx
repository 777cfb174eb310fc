/**
 * What the composer is doing besides writing a new message, shown above its field:
 * replying (the quoted message's author and snippet) or editing one of ours. The
 * cancel button (and Escape in the field, the composer's) goes back to a new message.
 */
export type ComposeMode =
  | { readonly kind: 'reply'; readonly author: string; readonly snippet: string }
  | { readonly kind: 'edit'; readonly snippet: string };

export function ComposerContext({ mode, onCancel }: { mode: ComposeMode; onCancel: () => void }) {
  const title = mode.kind === 'reply' ? `Replying to ${mode.author}` : 'Editing message';
  // Why not "Editing message" as its name: tests and people find the field by "Message".
  return (
    <div className={`composer-context ${mode.kind}`} role="group" aria-label={mode.kind === 'reply' ? title : 'Editing'}>
      <span className="composer-context-text">
        <strong>{title}</strong>
        <span className="quote-text">{mode.snippet}</span>
      </span>
      <button type="button" className="icon-button" aria-label={mode.kind === 'reply' ? 'Cancel reply' : 'Cancel editing'} title={mode.kind === 'reply' ? 'Cancel reply' : 'Cancel editing'} onClick={onCancel}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4l5.6 5.6L5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6z" />
        </svg>
      </button>
    </div>
  );
}
