// ringway dashboard: the audio worklet of the call page's microphone and speakers. Runs in the
// AudioWorkletGlobalScope of an AudioContext at 16 kHz (Chromium resamples the microphone).
"use strict";

const FRAME = 320; // samples in 20 ms at 16 kHz
const START = 3; // frames buffered before playing starts (again, after running dry)
const MOST = 25; // frames buffered at most; older ones are dropped to catch up

// The microphone, cut into frames of 16-bit samples posted to the page.
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
  }

  process(inputs) {
    const samples = inputs[0][0];
    if (!samples) return true;
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]));
      this.frame[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.filled === FRAME) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(FRAME);
        this.filled = 0;
      }
    }
    return true;
  }
}

// What the call sends, played through a small jitter buffer: it starts once a few frames are
// in, plays silence when it runs dry (and waits for a few again), and drops the oldest frames
// when too many pile up.
class Playback extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.current = null;
    this.offset = 0;
    this.playing = false;
    this.port.onmessage = (event) => {
      this.queue.push(new Int16Array(event.data));
      if (this.queue.length > MOST) this.queue.splice(0, this.queue.length - START);
    };
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing && this.queue.length >= START) this.playing = true;
    for (let i = 0; i < out.length; i++) {
      if (!this.current || this.offset >= this.current.length) {
        this.current = this.playing ? this.queue.shift() : undefined;
        this.offset = 0;
        if (!this.current) {
          this.playing = false;
          out.fill(0, i);
          break;
        }
      }
      out[i] = this.current[this.offset++] / 32768;
    }
    return true;
  }
}

registerProcessor("ringway-capture", Capture);
registerProcessor("ringway-playback", Playback);
