/**
 * The emoji the picker offers, bundled (no network fetch): a small set people use
 * most in chats, by category, each with its CLDR short name (what a screen reader
 * says and what search matches). Drawn with the system's emoji font.
 */

export interface EmojiCategory {
  readonly name: string;
  readonly emoji: ReadonlyArray<readonly [emoji: string, name: string]>;
}

export const EMOJI: readonly EmojiCategory[] = [
  {
    name: 'Smileys',
    emoji: [
      ['😀', 'grinning face'], ['😃', 'grinning face with big eyes'], ['😄', 'grinning face with smiling eyes'], ['😁', 'beaming face with smiling eyes'],
      ['😆', 'grinning squinting face'], ['😅', 'grinning face with sweat'], ['🤣', 'rolling on the floor laughing'], ['😂', 'face with tears of joy'],
      ['🙂', 'slightly smiling face'], ['🙃', 'upside-down face'], ['😉', 'winking face'], ['😊', 'smiling face with smiling eyes'],
      ['😇', 'smiling face with halo'], ['🥰', 'smiling face with hearts'], ['😍', 'smiling face with heart-eyes'], ['🤩', 'star-struck'],
      ['😘', 'face blowing a kiss'], ['😋', 'face savoring food'], ['😛', 'face with tongue'], ['😜', 'winking face with tongue'],
      ['🤪', 'zany face'], ['🤗', 'smiling face with open hands'], ['🤔', 'thinking face'], ['🤫', 'shushing face'],
      ['🤐', 'zipper-mouth face'], ['😐', 'neutral face'], ['😑', 'expressionless face'], ['😶', 'face without mouth'],
      ['😏', 'smirking face'], ['😒', 'unamused face'], ['🙄', 'face with rolling eyes'], ['😬', 'grimacing face'],
      ['😌', 'relieved face'], ['😔', 'pensive face'], ['😪', 'sleepy face'], ['😴', 'sleeping face'],
      ['😷', 'face with medical mask'], ['🤒', 'face with thermometer'], ['🤧', 'sneezing face'], ['🥵', 'hot face'],
      ['🥶', 'cold face'], ['😵', 'face with crossed-out eyes'], ['🤯', 'exploding head'], ['🥳', 'partying face'],
      ['😎', 'smiling face with sunglasses'], ['🤓', 'nerd face'], ['😕', 'confused face'], ['😟', 'worried face'],
      ['😮', 'face with open mouth'], ['😲', 'astonished face'], ['😳', 'flushed face'], ['🥺', 'pleading face'],
      ['😢', 'crying face'], ['😭', 'loudly crying face'], ['😱', 'face screaming in fear'], ['😤', 'face with steam from nose'],
      ['😡', 'enraged face'], ['😠', 'angry face'], ['🤬', 'face with symbols on mouth'], ['😈', 'smiling face with horns'],
    ],
  },
  {
    name: 'People and gestures',
    emoji: [
      ['👍', 'thumbs up'], ['👎', 'thumbs down'], ['👌', 'OK hand'], ['✌️', 'victory hand'],
      ['🤞', 'crossed fingers'], ['🤟', 'love-you gesture'], ['🤘', 'sign of the horns'], ['👋', 'waving hand'],
      ['👏', 'clapping hands'], ['🙌', 'raising hands'], ['👐', 'open hands'], ['🤝', 'handshake'],
      ['🙏', 'folded hands'], ['💪', 'flexed biceps'], ['👀', 'eyes'], ['🫶', 'heart hands'],
      ['🤷', 'person shrugging'], ['🤦', 'person facepalming'], ['🙋', 'person raising hand'], ['💃', 'woman dancing'],
    ],
  },
  {
    name: 'Hearts and symbols',
    emoji: [
      ['❤️', 'red heart'], ['🧡', 'orange heart'], ['💛', 'yellow heart'], ['💚', 'green heart'],
      ['💙', 'blue heart'], ['💜', 'purple heart'], ['🖤', 'black heart'], ['🤍', 'white heart'],
      ['💔', 'broken heart'], ['💕', 'two hearts'], ['💯', 'hundred points'], ['🔥', 'fire'],
      ['✨', 'sparkles'], ['⭐', 'star'], ['🎉', 'party popper'], ['🎂', 'birthday cake'],
      ['🎁', 'wrapped gift'], ['✅', 'check mark button'], ['❌', 'cross mark'], ['❓', 'red question mark'],
      ['❗', 'red exclamation mark'], ['💤', 'zzz'], ['💬', 'speech balloon'], ['🔒', 'locked'],
    ],
  },
  {
    name: 'Animals and nature',
    emoji: [
      ['🐶', 'dog face'], ['🐱', 'cat face'], ['🐭', 'mouse face'], ['🦊', 'fox'],
      ['🐻', 'bear'], ['🐼', 'panda'], ['🐨', 'koala'], ['🦁', 'lion'],
      ['🐸', 'frog'], ['🐵', 'monkey face'], ['🐔', 'chicken'], ['🐧', 'penguin'],
      ['🦋', 'butterfly'], ['🌸', 'cherry blossom'], ['🌹', 'rose'], ['🌻', 'sunflower'],
      ['🌲', 'evergreen tree'], ['🍀', 'four leaf clover'], ['☀️', 'sun'], ['🌈', 'rainbow'],
      ['⛄', 'snowman without snow'], ['🌊', 'water wave'], ['🌙', 'crescent moon'], ['⚡', 'high voltage'],
    ],
  },
  {
    name: 'Food and drink',
    emoji: [
      ['🍎', 'red apple'], ['🍌', 'banana'], ['🍉', 'watermelon'], ['🍓', 'strawberry'],
      ['🍑', 'peach'], ['🥑', 'avocado'], ['🍕', 'pizza'], ['🍔', 'hamburger'],
      ['🍟', 'french fries'], ['🌮', 'taco'], ['🍣', 'sushi'], ['🍜', 'steaming bowl'],
      ['🍰', 'shortcake'], ['🍫', 'chocolate bar'], ['🍩', 'doughnut'], ['🍿', 'popcorn'],
      ['☕', 'hot beverage'], ['🍵', 'teacup without handle'], ['🍺', 'beer mug'], ['🍷', 'wine glass'],
    ],
  },
  {
    name: 'Activities and travel',
    emoji: [
      ['⚽', 'soccer ball'], ['🏀', 'basketball'], ['🎾', 'tennis'], ['🏆', 'trophy'],
      ['🎮', 'video game'], ['🎲', 'game die'], ['🎵', 'musical note'], ['🎸', 'guitar'],
      ['📚', 'books'], ['✏️', 'pencil'], ['💻', 'laptop'], ['📱', 'mobile phone'],
      ['📷', 'camera'], ['🚗', 'automobile'], ['🚲', 'bicycle'], ['✈️', 'airplane'],
      ['🚀', 'rocket'], ['🏠', 'house'], ['🏖️', 'beach with umbrella'], ['⏰', 'alarm clock'],
    ],
  },
];

/** Every emoji with its category, in order. */
export const ALL_EMOJI: ReadonlyArray<readonly [emoji: string, name: string]> = EMOJI.flatMap((c) => c.emoji);

/** The emoji whose name contains every word of `query` (case-insensitive); all of them for an empty query. */
export function searchEmoji(query: string): ReadonlyArray<readonly [string, string]> {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return ALL_EMOJI;
  return ALL_EMOJI.filter(([, name]) => words.every((w) => name.toLowerCase().includes(w)));
}

/** `text` with `emoji` put in place of the selection [start, end); answers the text and the caret after it. */
export function insertAt(text: string, emoji: string, start: number, end: number): { text: string; caret: number } {
  const s = Math.max(0, Math.min(start, text.length));
  const e = Math.max(s, Math.min(end, text.length));
  return { text: text.slice(0, s) + emoji + text.slice(e), caret: s + emoji.length };
}
