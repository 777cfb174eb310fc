/** TURN REST credentials (coturn `use-auth-secret`) for relaying calls. */
import { array, int, object, str } from '../decode.ts';

export const turnCredentialsResponse = object({
  urls: array(str(256, /^turns?:[^\s]+$/), 8, 1),
  username: str(128),
  credential: str(128),
  ttl: int(1, 86_400),
});
export type TurnCredentials = ReturnType<typeof turnCredentialsResponse>;
