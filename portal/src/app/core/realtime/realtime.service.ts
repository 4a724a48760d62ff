import { Injectable, type OnDestroy, signal } from '@angular/core'
import { Subject } from 'rxjs'

export interface RealtimeEvent {
  type: string
  [key: string]: unknown
}
export type MessageKind = 'chat' | 'late' | 'signal'

/**
 * One WebSocket to /api/realtime (same origin; the cookie or the participant credential
 * authenticates it). Reconnects with a growing pause until closed on purpose.
 */
@Injectable()
export class Realtime implements OnDestroy {
  readonly events = new Subject<RealtimeEvent>()
  readonly connected = signal(false)
  private socket: WebSocket | null = null
  private closed = false
  private retry = 0
  private timer: ReturnType<typeof setTimeout> | null = null

  connect(): void {
    this.closed = false
    if (this.socket) return
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/realtime`
    const socket = new WebSocket(url)
    this.socket = socket
    socket.onopen = () => {
      this.retry = 0
      this.connected.set(true)
    }
    socket.onmessage = event => {
      try {
        const parsed = JSON.parse(String(event.data)) as RealtimeEvent
        if (parsed && typeof parsed.type === 'string') this.events.next(parsed)
      } catch {
        /* not ours */
      }
    }
    socket.onclose = () => {
      this.socket = null
      this.connected.set(false)
      if (this.closed) return
      this.timer = setTimeout(() => this.connect(), Math.min(10_000, 500 * 2 ** this.retry++))
    }
  }

  send(consultationId: string, to: string, kind: MessageKind, body: unknown): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false
    this.socket.send(JSON.stringify({ type: 'send', consultationId, to, kind, body }))
    return true
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.socket?.close()
    this.socket = null
    this.connected.set(false)
  }

  ngOnDestroy(): void {
    this.close()
  }
}
