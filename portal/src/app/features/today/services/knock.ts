import { Injectable, signal } from '@angular/core'

const MUTED_KEY = 'sz.knockMuted'

/** Two short knocks synthesised with Web Audio: no sound file to load, mutable, remembered. */
@Injectable({ providedIn: 'root' })
export class Knock {
  readonly muted = signal(readMuted())
  private context: AudioContext | null = null

  setMuted(muted: boolean): void {
    this.muted.set(muted)
    try {
      localStorage.setItem(MUTED_KEY, muted ? '1' : '0')
    } catch {
      /* not persisted */
    }
  }

  play(): void {
    if (this.muted() || typeof AudioContext === 'undefined') return
    try {
      this.context ??= new AudioContext()
      const ctx = this.context
      for (const offset of [0, 0.18]) {
        const osc = ctx.createOscillator()
        const gain = ctx.createGain()
        osc.frequency.value = 180
        gain.gain.setValueAtTime(0.6, ctx.currentTime + offset)
        gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + offset + 0.12)
        osc.connect(gain).connect(ctx.destination)
        osc.start(ctx.currentTime + offset)
        osc.stop(ctx.currentTime + offset + 0.13)
      }
    } catch {
      /* audio blocked until the user interacts: the badge and title still show */
    }
  }
}

function readMuted(): boolean {
  try {
    return localStorage.getItem(MUTED_KEY) === '1'
  } catch {
    return false
  }
}
