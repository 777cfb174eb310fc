/**
 * The reactions under a bubble: one chip per emoji with its count. Ours is
 * highlighted (and pressed, for screen readers); selecting it takes ours back,
 * selecting another chip reacts with that emoji. Each chip's tooltip and name list
 * who reacted.
 */
import { chipLabel, type ReactionChip } from './summary.ts';

export function ReactionChips({ chips, onToggle }: { chips: readonly ReactionChip[]; onToggle: (chip: ReactionChip) => void }) {
  if (chips.length === 0) return null;
  return (
    <span className="reaction-chips" role="group" aria-label="Reactions">
      {chips.map((c) => {
        const label = chipLabel(c);
        return (
          <button key={c.emoji} type="button" className={c.mine ? 'reaction-chip mine' : 'reaction-chip'} aria-pressed={c.mine} aria-label={label} title={label} onClick={() => onToggle(c)}>
            <span aria-hidden="true">{c.emoji}</span>
            {c.count > 1 && <span className="reaction-count" aria-hidden="true">{c.count}</span>}
          </button>
        );
      })}
    </span>
  );
}
