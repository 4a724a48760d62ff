import { Injectable, signal } from '@angular/core'

/** Camera and microphone access with a live microphone level (0..1), released on stop(). */
@Injectable()
export class PrecallCheck {
  readonly stream = signal<MediaStream | null>(null)
  readonly level = signal(0)
  readonly state = signal<'idle' | 'running' | 'ok' | 'failed'>('idle')
  private audio: AudioContext | null = null
  private frame = 0

  async start(): Promise<MediaStream | null> {
    this.state.set('running')
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
      this.stream.set(stream)
      this.meter(stream)
      this.state.set('ok')
      return stream
    } catch {
      this.state.set('failed')
      return null
    }
  }

  stop(): void {
    cancelAnimationFrame(this.frame)
    void this.audio?.close().catch(() => undefined)
    this.audio = null
    this.stream()
      ?.getTracks()
      .forEach(track => track.stop())
    this.stream.set(null)
  }

  private meter(stream: MediaStream): void {
    if (typeof AudioContext === 'undefined' || stream.getAudioTracks().length === 0) return
    const ctx = new AudioContext()
    this.audio = ctx
    const analyser = ctx.createAnalyser()
    analyser.fftSize = 256
    ctx.createMediaStreamSource(stream).connect(analyser)
    const samples = new Uint8Array(analyser.fftSize)
    const tick = () => {
      analyser.getByteTimeDomainData(samples)
      let peak = 0
      for (const s of samples) peak = Math.max(peak, Math.abs(s - 128) / 128)
      this.level.set(Math.round(peak * 100) / 100)
      this.frame = requestAnimationFrame(tick)
    }
    tick()
  }
}
