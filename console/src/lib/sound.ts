// The alarm for a new critical alert: a short two-tone beep made with WebAudio (no audio file to fetch).

export interface Alarm {
  /** Browsers start audio only after a user gesture: call this from a click. */
  unlock(): void;
  beep(): void;
  readonly ready: boolean;
}

/** A WebAudio beeper (silent until unlocked by a user gesture). */
export function createAlarm(): Alarm {
  let ctx: AudioContext | undefined;
  const alarm: Alarm = {
    get ready() {
      return ctx?.state === 'running';
    },
    unlock() {
      try {
        ctx ??= new AudioContext();
        void ctx.resume();
      } catch {
        /* no audio device: the flash still shows */
      }
    },
    beep() {
      if (!ctx || ctx.state !== 'running') return;
      const t0 = ctx.currentTime;
      for (const [i, freq] of [880, 660, 880].entries()) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = 'square';
        osc.frequency.value = freq;
        const start = t0 + i * 0.16;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.12, start + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.13);
        osc.connect(gain).connect(ctx.destination);
        osc.start(start);
        osc.stop(start + 0.14);
      }
    },
  };
  return alarm;
}
