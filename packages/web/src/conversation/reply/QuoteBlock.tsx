/**
 * The quoted message inside a reply's bubble (author and snippet, a bar on the side
 * in the author's colour; the text stays dark, for contrast on any background). When the original is still in the conversation, it is a button that
 * scrolls to it and highlights it ("Reply to ana: …" for screen readers); otherwise
 * plain text.
 */
export function QuoteBlock(props: { author: string; snippet: string; colour: string; onJump: (() => void) | undefined }) {
  const content = (
    <>
      <span className="quote-author">
        {props.onJump && <span className="visually-hidden">Reply to </span>}
        {props.author}
        {props.onJump && <span className="visually-hidden">:</span>}
      </span>
      <span className="quote-text">{props.snippet}</span>
    </>
  );
  if (!props.onJump) return <span className="quote" style={{ borderColor: props.colour }}>{content}</span>;
  return (
    <button type="button" className="quote" style={{ borderColor: props.colour }} title="Go to the original" onClick={props.onJump}>
      {content}
    </button>
  );
}
