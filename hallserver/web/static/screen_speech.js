// Reads the call screen's calls aloud: one call at a time, `repeat` times each, never two
// at once. The browser's own speech synthesis when it has a Chinese (zh) voice, else the
// server's audio (espeak-ng WAV of the call, GET /api/screen/audio.wav?call=<id>), as the
// hall's `screen.speech` setting says (auto | browser | server | off).
//
// Browsers refuse to play sound before the first user gesture (click, key). The screen shows
// an "enable sound" overlay until then; a kiosk browser started with
// --autoplay-policy=no-user-gesture-required never needs it.

const REPEAT_GAP_MS = 900; // silence between two readings of one call
const CALL_GAP_MS = 600; // and between two calls
const MAX_PLAY_MS = 20_000; // a reading that never reports its end is given up after this
const MAX_QUEUE = 20; // calls waiting to be read; older ones are dropped (they are shown)
const VOICE_WAIT_MS = 1500; // Chrome lists its voices a moment after load

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** The best Chinese voice of this browser, or null. */
export function chineseVoice() {
  if (!("speechSynthesis" in window)) return null;
  const voices = window.speechSynthesis.getVoices();
  return voices.find((v) => /^zh[-_]CN/i.test(v.lang))
    || voices.find((v) => /^(zh|cmn)\b/i.test(v.lang)) || null;
}

/** Wait (briefly) until the browser has listed its voices. */
export function voicesReady() {
  if (!("speechSynthesis" in window)) return Promise.resolve();
  if (window.speechSynthesis.getVoices().length) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      window.speechSynthesis.removeEventListener("voiceschanged", done);
      resolve();
    };
    window.speechSynthesis.addEventListener("voiceschanged", done);
    setTimeout(done, VOICE_WAIT_MS);
  });
}

/** Whether this page may play sound without a user gesture (kiosk flag, or clicked). */
export function soundAllowed() {
  if (navigator.userActivation && navigator.userActivation.hasBeenActive) return true;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return true; // no way to tell: try, and show the overlay if playing is refused
  const ctx = new Ctx();
  const ok = ctx.state === "running";
  ctx.close().catch(() => {});
  return ok;
}

export class Announcer {
  /**
   * @param {HTMLAudioElement} audio the element playing the server's audio
   * @param {{onStart?: Function, onEnd?: Function, onLocked?: Function}} hooks
   *   onStart(call, how) / onEnd(call, how, times) around each call; onLocked() when the
   *   browser refused to play (no gesture yet)
   */
  constructor(audio, hooks = {}) {
    this.audio = audio;
    this.hooks = hooks;
    this.mode = "auto";
    this.repeat = 2;
    this.rate = 0.9;
    this.serverAudio = false;
    this.queue = [];
    this.running = false;
    this.locked = false;
  }

  /** Take the hall's settings ({speech, repeat, speech_rate, server_audio}). */
  configure(settings) {
    this.mode = settings.speech;
    this.repeat = Math.max(1, Math.min(5, Number(settings.repeat) || 1));
    // The browser's rate 1 is its everyday speech (about espeak-ng's 175 wpm, a little
    // slower in practice): the hall's default 150 wpm gives the 0.9 this screen always used.
    const wpm = Math.max(80, Math.min(450, Number(settings.speech_rate) || 150));
    this.rate = wpm / 166;
    this.serverAudio = Boolean(settings.server_audio);
  }

  /** How calls are read now: "browser", "server" or "" (not read). */
  how() {
    const voice = chineseVoice();
    if (this.mode === "off") return "";
    if (this.mode === "browser") return voice ? "browser" : "";
    if (this.mode === "server") return this.serverAudio ? "server" : "";
    if (voice) return "browser";
    return this.serverAudio ? "server" : "";
  }

  /** Queue a call to be read ({id, speech, ...}). */
  enqueue(call) {
    this.queue.push(call);
    while (this.queue.length > MAX_QUEUE) this.queue.shift();
    this.run();
  }

  /** The user allowed sound (clicked): go on with the queue. */
  unlock() {
    this.locked = false;
    this.run();
  }

  async run() {
    if (this.running || this.locked) return;
    this.running = true;
    try {
      while (this.queue.length && !this.locked) {
        const call = this.queue[0];
        const how = this.how();
        if (!how) {
          this.queue.shift();
          continue;
        }
        this.hooks.onStart?.(call, how);
        let times = 0;
        for (; times < this.repeat; times += 1) {
          if (times) await sleep(REPEAT_GAP_MS);
          const played = await this.playOnce(call, how);
          if (played === "locked") break;
        }
        if (this.locked) {
          this.hooks.onEnd?.(call, how, times);
          this.hooks.onLocked?.();
          break; // the call stays queued: read once sound is allowed
        }
        this.queue.shift();
        this.hooks.onEnd?.(call, how, times);
        await sleep(CALL_GAP_MS);
      }
    } finally {
      this.running = false;
    }
  }

  /** Read a call once; "ok", "failed" or "locked". */
  playOnce(call, how) {
    return how === "browser" ? this.speak(call) : this.play(call);
  }

  speak(call) {
    return new Promise((resolve) => {
      const synth = window.speechSynthesis;
      const u = new SpeechSynthesisUtterance(call.speech || call.text?.zh || "");
      const voice = chineseVoice();
      if (voice) u.voice = voice;
      u.lang = voice ? voice.lang : "zh-CN";
      u.rate = this.rate;
      let timer = 0;
      const done = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
      u.onend = () => done("ok");
      u.onerror = (e) => {
        if (e.error === "not-allowed") {
          this.locked = true;
          done("locked");
        } else {
          done("failed");
        }
      };
      timer = setTimeout(() => {
        synth.cancel();
        done("failed");
      }, MAX_PLAY_MS);
      synth.speak(u);
    });
  }

  play(call) {
    const audio = this.audio;
    return new Promise((resolve) => {
      let timer = 0;
      const done = (result) => {
        clearTimeout(timer);
        audio.removeEventListener("ended", ended);
        audio.removeEventListener("error", failed);
        resolve(result);
      };
      const ended = () => done("ok");
      const failed = () => done("failed");
      audio.addEventListener("ended", ended);
      audio.addEventListener("error", failed);
      timer = setTimeout(() => {
        audio.pause();
        done("failed");
      }, MAX_PLAY_MS);
      const src = `/api/screen/audio.wav?call=${encodeURIComponent(call.id)}`;
      if (!audio.src.endsWith(src)) audio.src = src;
      audio.currentTime = 0;
      audio.play().catch((e) => {
        if (e && e.name === "NotAllowedError") {
          this.locked = true;
          done("locked");
        } else {
          done("failed");
        }
      });
    });
  }
}
