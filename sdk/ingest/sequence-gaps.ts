/**
 * Missing messages, counted from a per-device sequence number in the payloads: the one sign of
 * loss upstream of the bridge that does not depend on the MQTT broker telling (a device's
 * publish lost, a broker that drops silently). Messages may arrive out of order (a shared
 * subscription spreads one device over several connections, redeliveries come late), so
 * numbers skipped are counted as missing at once and taken back when they arrive within the
 * last WINDOW numbers of that device. A number far below the device's highest (more than
 * WINDOW) is read as the device starting over (a reboot), not as a gap.
 * Memory is bounded: past `maxDevices`, the devices seen longest ago are forgotten (their
 * next message starts them afresh).
 */

const WINDOW = 256;
const WORDS = WINDOW / 32;

interface Device {
  /** The first number seen (since a reset): earlier ones were never counted missing. */
  low: number;
  high: number;
  /** Bit n % WINDOW: number n arrived, for n in (high - WINDOW, high]. */
  seen: Uint32Array;
}

export interface SequenceStats {
  /** Numbers skipped and not arrived (yet): messages missing between what each device sent. */
  gaps: number;
  /** Numbers that arrived twice (redeliveries, duplicates from the device). */
  repeats: number;
  /** Devices that started their numbering over. */
  resets: number;
  /** Devices tracked now. */
  devices: number;
}

export class SequenceGaps {
  private readonly devices = new Map<string, Device>();
  private gaps = 0;
  private repeats = 0;
  private resets = 0;

  constructor(private readonly maxDevices = 100_000) {}

  observe(device: string, seq: number): void {
    if (!Number.isSafeInteger(seq)) return;
    let d = this.devices.get(device);
    if (!d) {
      if (this.devices.size >= this.maxDevices) this.devices.delete(this.devices.keys().next().value as string);
      d = { low: seq, high: seq, seen: new Uint32Array(WORDS) };
      mark(d.seen, seq);
      this.devices.set(device, d);
      return;
    }
    if (seq > d.high) {
      const skipped = seq - d.high - 1;
      this.gaps += skipped;
      if (seq - d.high >= WINDOW) d.seen.fill(0);
      else for (let n = d.high + 1; n <= seq; n++) unmark(d.seen, n);
      d.high = seq;
      mark(d.seen, seq);
    } else if (seq > d.high - WINDOW) {
      if (seq < d.low) return; // from before this device was tracked
      if (isMarked(d.seen, seq)) this.repeats++;
      else {
        mark(d.seen, seq);
        this.gaps--; // it was counted missing when a later number came first
      }
    } else {
      this.resets++;
      d.low = seq;
      d.high = seq;
      d.seen.fill(0);
      mark(d.seen, seq);
    }
  }

  stats(): SequenceStats {
    return { gaps: this.gaps, repeats: this.repeats, resets: this.resets, devices: this.devices.size };
  }
}

const slot = (n: number) => ((n % WINDOW) + WINDOW) % WINDOW;

function mark(bits: Uint32Array, n: number): void {
  const i = slot(n);
  bits[i >>> 5] |= 1 << (i & 31);
}

function unmark(bits: Uint32Array, n: number): void {
  const i = slot(n);
  bits[i >>> 5] &= ~(1 << (i & 31));
}

function isMarked(bits: Uint32Array, n: number): boolean {
  const i = slot(n);
  return (bits[i >>> 5] & (1 << (i & 31))) !== 0;
}
