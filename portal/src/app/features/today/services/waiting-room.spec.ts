import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { Realtime } from '../../../core/realtime/realtime.service'
import { Knock } from './knock'
import { WaitingRoom } from './waiting-room'

const waitingMaria = { id: 'p1', displayName: 'Maria', status: 'waiting', waitingSince: '2026-11-29T09:00:00.000Z', admittedAt: null }

describe('WaitingRoom', () => {
  let room: WaitingRoom
  let knocks: number
  const sent: unknown[] = []

  beforeEach(() => {
    knocks = 0
    sent.length = 0
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        WaitingRoom,
        {
          provide: Realtime,
          useValue: {
            connected: () => true,
            events: { subscribe: () => undefined },
            connect: () => undefined,
            close: () => undefined,
            send: (...args: unknown[]) => {
              sent.push(args)
              return true
            }
          }
        },
        {
          provide: Knock,
          useValue: {
            play: () => {
              knocks++
            }
          }
        }
      ]
    })
    room = TestBed.inject(WaitingRoom)
  })

  afterEach(() => TestBed.inject(HttpTestingController).verify())

  it('knocks once when a client starts waiting, and forgets them when admitted', () => {
    room.apply({ type: 'participant.waiting', consultationId: 'c1', participant: waitingMaria })
    room.apply({ type: 'participant.waiting', consultationId: 'c1', participant: waitingMaria })
    expect(knocks).toBe(1)
    expect(room.waiting().map(p => p.displayName)).toEqual(['Maria'])
    room.apply({ type: 'participant.admitted', consultationId: 'c1', participant: { ...waitingMaria, status: 'admitted' } })
    expect(room.waiting()).toEqual([])
  })

  it('keeps the chat per client and sends chat and late notices to that participant', () => {
    room.apply({ type: 'participant.waiting', consultationId: 'c1', participant: waitingMaria })
    room.apply({ type: 'message', consultationId: 'c1', from: { kind: 'participant', id: 'p1' }, kind: 'chat', body: { text: 'Hallo' } })
    const maria = room.waiting()[0]!
    expect(room.chat(maria, 'Einen Moment')).toBe(true)
    expect(room.late(maria, 10)).toBe(true)
    expect(room.chats()['p1']!.map(l => [l.from, l.text])).toEqual([
      ['them', 'Hallo'],
      ['me', 'Einen Moment']
    ])
    expect(sent).toEqual([
      ['c1', 'p1', 'chat', { text: 'Einen Moment' }],
      ['c1', 'p1', 'late', { minutes: 10 }]
    ])
  })

  it('loads the day and who already waits for its open consultations', async () => {
    const loading = room.load(new Date(2026, 10, 29, 12))
    const http = TestBed.inject(HttpTestingController)
    const list = http.expectOne(r => r.url === '/api/consultations')
    expect(list.request.params.get('from')).toBe(new Date(2026, 10, 29).toISOString())
    list.flush([
      { id: 'c2', title: 'B', start: '2026-11-29T11:00:00Z', end: '2026-11-29T11:30:00Z', state: 'scheduled' },
      { id: 'c1', title: 'A', start: '2026-11-29T09:00:00Z', end: '2026-11-29T09:30:00Z', state: 'waiting' }
    ])
    await new Promise(resolve => setTimeout(resolve))
    http.expectOne('/api/consultations/c1/participants').flush([waitingMaria])
    await loading
    expect(room.consultations().map(c => c.title)).toEqual(['A', 'B'])
    expect(room.waiting()[0]?.consultationId).toBe('c1')
  })
})
