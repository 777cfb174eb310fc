/**
 * A message's reactions as the chips under its bubble show them: one chip per
 * emoji, in the order each emoji first appeared, with how many chose it, who (our
 * own first, as "You"), and whether ours is among them. Pure: no DOM.
 */
import type { Reaction } from '@parley/client';

export interface ReactionChip {
  readonly emoji: string;
  readonly count: number;
  /** Who reacted with it: "You" first, then names in the order they reacted. */
  readonly names: readonly string[];
  /** Our own reaction is this emoji (clicking the chip takes it back). */
  readonly mine: boolean;
}

export function reactionChips(reactions: readonly Reaction[] | undefined, me: string, nameOf: (accountId: string) => string): ReactionChip[] {
  const chips = new Map<string, { names: string[]; mine: boolean }>();
  for (const r of reactions ?? []) {
    const chip = chips.get(r.emoji) ?? { names: [], mine: false };
    if (r.author === me) {
      chip.mine = true;
      chip.names.unshift('You');
    } else chip.names.push(nameOf(r.author));
    chips.set(r.emoji, chip);
  }
  return [...chips].map(([emoji, c]) => ({ emoji, count: c.names.length, names: c.names, mine: c.mine }));
}

/** What a chip says to a screen reader and in its tooltip: "👍 2: You and ana. Select to remove yours". */
export function chipLabel(chip: ReactionChip): string {
  const who = chip.names.length <= 1 ? (chip.names[0] ?? '') : `${chip.names.slice(0, -1).join(', ')} and ${chip.names.at(-1)}`;
  return `${chip.emoji} ${chip.count}: ${who}${chip.mine ? '. Select to remove yours' : ''}`;
}
