import { setup, assign } from 'xstate'

/** Bump when states or events change incompatibly; rows record the version that wrote their snapshot. */
export const MACHINE_VERSION = '1'

export type EndReason = 'provider' | 'room-empty' | 'live-grace' | 'no-show'

export interface LifecycleContext {
  noShow: boolean
  endReason: EndReason | null
}

export type LifecycleEvent =
  | { type: 'ROOM_OPENS' }
  | { type: 'ADMIT' }
  | { type: 'END' }
  | { type: 'ROOM_EMPTY' }
  | { type: 'LIVE_GRACE_PASSED' }
  | { type: 'SCHEDULED_END_PASSED' }
  | { type: 'RESCHEDULE' }
  | { type: 'CANCEL' }
  | { type: 'PURGE' }

/**
 * The consultation lifecycle. It is pure: no `after` timers (they would not survive a restart);
 * timed events are fired by the deadline jobs. Side effects are named actions that the
 * lifecycle service implements.
 */
export const consultationMachine = setup({
  types: {
    context: {} as LifecycleContext,
    events: {} as LifecycleEvent
  },
  actions: {
    eraseWaitingRoomNames: () => {},
    purgeCallData: () => {}
  }
}).createMachine({
  id: 'consultation',
  initial: 'scheduled',
  context: { noShow: false, endReason: null },
  states: {
    scheduled: {
      on: {
        ROOM_OPENS: 'waiting',
        RESCHEDULE: { target: 'scheduled', reenter: true },
        SCHEDULED_END_PASSED: { target: 'ended', actions: assign({ noShow: true, endReason: 'no-show' }) },
        CANCEL: 'cancelled'
      }
    },
    waiting: {
      on: {
        ADMIT: 'live',
        RESCHEDULE: 'scheduled',
        END: { target: 'ended', actions: assign({ endReason: 'provider' }) },
        SCHEDULED_END_PASSED: { target: 'ended', actions: assign({ noShow: true, endReason: 'no-show' }) },
        CANCEL: 'cancelled'
      }
    },
    live: {
      on: {
        END: { target: 'ended', actions: assign({ endReason: 'provider' }) },
        ROOM_EMPTY: { target: 'ended', actions: assign({ endReason: 'room-empty' }) },
        LIVE_GRACE_PASSED: { target: 'ended', actions: assign({ endReason: 'live-grace' }) }
      }
    },
    ended: {
      entry: 'eraseWaitingRoomNames',
      on: { PURGE: 'purged' }
    },
    cancelled: {
      entry: 'eraseWaitingRoomNames',
      on: { PURGE: 'purged' }
    },
    purged: {
      type: 'final',
      entry: 'purgeCallData'
    }
  }
})
