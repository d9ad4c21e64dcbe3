// The headers that tell a worker it is behind a GRIP proxy (Pushpin's src/proxy/proxyutil.cpp): Grip-Sig, a JWT
// (HS256) with `iss` and an `exp` an hour ahead, and Grip-Feature, what this proxy does of GRIP.
import { FILTERS } from './filters.js';
import { signHs256 } from './jwt.js';

const LIFETIME_S = 3600;
/** A token is signed again once it has less than this left: one signature per ten minutes, not per request. */
const RENEW_BEFORE_S = 3000;
const FEATURES = ['status', ...FILTERS.map((f) => `filter:${f}`)].join(', ');

export class GripSigner {
  #pairs: string[] = [];
  #exp = 0;

  constructor(readonly iss: string, readonly key: Buffer) {}

  /** ['grip-sig', token, 'grip-feature', features] for a request sent at `nowMs`. */
  pairs(nowMs = Date.now()): readonly string[] {
    const now = Math.floor(nowMs / 1000);
    if (this.#exp - now < RENEW_BEFORE_S) {
      this.#exp = now + LIFETIME_S;
      this.#pairs = ['grip-sig', signHs256({ iss: this.iss, exp: this.#exp }, this.key), 'grip-feature', FEATURES];
    }
    return this.#pairs;
  }
}
