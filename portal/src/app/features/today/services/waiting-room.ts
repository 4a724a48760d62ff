import { Injectable, computed, inject, signal } from '@angular/core'
import { Api } from '../../../core/api/api.service'
import type { Consultation, Participant } from '../../../core/api/models'
import { Realtime, type RealtimeEvent } from '../../../core/realtime/realtime.service'
import { Knock } from './knock'

export interface ChatLine {
  from: 'me' | 'them'
  text: string
  at: number
}
export interface Waiting extends Participant {
  consultationId: string
}

/** Today's consultations and who waits for them, kept current by /api/realtime. */
@Injectable()
export class WaitingRoom {
  private readonly api = inject(Api)
  private readonly realtime = inject(Realtime)
  private readonly knock = inject(Knock)
  readonly consultations = signal<Consultation[]>([])
  readonly participants = signal<Record<string, Waiting>>({})
  readonly chats = signal<Record<string, ChatLine[]>>({})
  readonly connected = this.realtime.connected
  readonly waiting = computed(() =>
    Object.values(this.participants())
      .filter(p => p.status === 'waiting')
      .sort((a, b) => a.waitingSince.localeCompare(b.waitingSince))
  )

  async load(day: Date): Promise<void> {
    const from = new Date(day.getFullYear(), day.getMonth(), day.getDate())
    const to = new Date(from.getTime() + 86_400_000)
    const list = await this.api.get<Consultation[]>('/api/consultations', { from: from.toISOString(), to: to.toISOString() })
    this.consultations.set(list.sort((a, b) => a.start.localeCompare(b.start)))
    const open = list.filter(c => c.state === 'waiting' || c.state === 'live')
    const lists = await Promise.all(
      open.map(c => this.api.get<Participant[]>(`/api/consultations/${c.id}/participants`).then(ps => ps.map(p => ({ ...p, consultationId: c.id }))))
    )
    const byId: Record<string, Waiting> = {}
    for (const p of lists.flat()) byId[p.id] = p
    this.participants.set(byId)
  }

  start(): void {
    this.realtime.events.subscribe(event => this.apply(event))
    this.realtime.connect()
  }

  stop(): void {
    this.realtime.close()
  }

  apply(event: RealtimeEvent): void {
    switch (event.type) {
      case 'participant.waiting':
      case 'participant.returned':
      case 'participant.left':
      case 'participant.admitted': {
        const participant = { ...(event['participant'] as Participant), consultationId: event['consultationId'] as string }
        const before = this.participants()[participant.id]
        this.participants.update(all => ({ ...all, [participant.id]: participant }))
        if (participant.status === 'waiting' && before?.status !== 'waiting') this.knock.play()
        break
      }
      case 'consultation.state': {
        const id = event['consultationId'] as string
        this.consultations.update(list => list.map(c => (c.id === id ? { ...c, state: event['state'] as Consultation['state'] } : c)))
        break
      }
      case 'message': {
        const from = event['from'] as { kind: string; id: string }
        const body = event['body'] as { text?: unknown }
        if (event['kind'] === 'chat' && from.kind === 'participant' && typeof body?.text === 'string')
          this.addLine(from.id, { from: 'them', text: body.text, at: Date.now() })
        break
      }
    }
  }

  chat(participant: Waiting, text: string): boolean {
    const sent = this.realtime.send(participant.consultationId, participant.id, 'chat', { text })
    if (sent) this.addLine(participant.id, { from: 'me', text, at: Date.now() })
    return sent
  }

  late(participant: Waiting, minutes: number): boolean {
    return this.realtime.send(participant.consultationId, participant.id, 'late', { minutes })
  }

  async admit(participant: Waiting): Promise<void> {
    await this.api.post(`/api/consultations/${participant.consultationId}/participants/${participant.id}/admit`)
    this.participants.update(all => ({ ...all, [participant.id]: { ...participant, status: 'admitted' } }))
  }

  private addLine(participantId: string, line: ChatLine): void {
    this.chats.update(all => ({ ...all, [participantId]: [...(all[participantId] ?? []), line].slice(-50) }))
  }
}
