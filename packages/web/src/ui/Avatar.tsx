/**
 * A round picture for a person or a group: their profile picture when given, else
 * initials on a colour chosen from the conversation id (stable, not a judgement). Decorative: the name beside it is what
 * assistive technology reads.
 */
/** Each reads at 4.5:1 or better with white initials (WCAG AA; axe checks it). */
export const COLOURS = ['#2c6bed', '#0c7a5d', '#b4480c', '#8a3ffc', '#c0266b', '#1d7aa8', '#6b7a1f', '#a3461f'];

export function initials(name: string, group: boolean): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const letters = group && words.length > 1 ? [words[0]!, words[1]!].map((w) => [...w][0]!) : [[...words[0]!][0]!];
  return letters.join('').toUpperCase();
}

/** The colour for a person or group, the same everywhere (avatar, sender name). */
export function colour(key: string): string {
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLOURS[h % COLOURS.length]!;
}

export function Avatar({ name, colourKey, group = false, size = 40, picture }: { name: string; colourKey: string; group?: boolean; size?: number; picture?: string }) {
  return (
    <span className={group ? 'avatar-small group' : 'avatar-small'} aria-hidden="true" style={{ width: size, height: size, fontSize: size * 0.4, background: colour(colourKey) }}>
      {picture ? <img className="avatar-picture" src={picture} alt="" width={size} height={size} /> : initials(name, group)}
    </span>
  );
}
