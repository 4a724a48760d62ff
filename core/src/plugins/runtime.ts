import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { startJobs, type Jobs } from '../jobs.js'
import { RealtimeHub } from '../realtime/hub.js'
import { Lifecycle, LIFECYCLE_QUEUE, type LifecycleJob } from '../lifecycle/events.js'
import { ConsultationStates, DEADLINE_QUEUE } from '../lifecycle/service.js'
import { IpAnonymizer, IP_QUEUE } from '../privacy/ip-anonymizer.js'

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Jobs
    lifecycle: Lifecycle
    realtime: RealtimeHub
    consultationStates: ConsultationStates
    ipAnonymizer: IpAnonymizer
  }
}

const SWEEP_QUEUE = 'lifecycle.sweep'

/** Durable jobs, realtime fan-out and the lifecycle engine; workers start once every plugin is registered. */
export default fp<{ config: Config; databaseUrl: string }>(
  async (app, { config, databaseUrl }) => {
    const jobs = await startJobs(databaseUrl, err => app.log.error({ err }, 'job failed'))
    const realtime = new RealtimeHub(databaseUrl, app.log)
    await realtime.start()
    const lifecycle = new Lifecycle(jobs, app.log)
    const service = new ConsultationStates({ orm: app.orm, jobs, lifecycle, realtime, durations: config, log: app.log })
    const ipAnonymizer = new IpAnonymizer(app.orm, jobs, config.ipAnonymizeAfter)
    app.decorate('jobs', jobs)
    app.decorate('realtime', realtime)
    app.decorate('lifecycle', lifecycle)
    app.decorate('consultationStates', service)
    app.decorate('ipAnonymizer', ipAnonymizer)

    await jobs.createQueue(DEADLINE_QUEUE)
    await jobs.createQueue(LIFECYCLE_QUEUE)
    await jobs.createQueue(SWEEP_QUEUE, { policy: 'short' })
    await jobs.createQueue(IP_QUEUE, { policy: 'short' })

    app.addHook('onReady', async () => {
      await jobs.work<{ consultationId: string }>(DEADLINE_QUEUE, { batchSize: 25, concurrency: 8 }, async job => {
        await service.runDeadlines(job.data.consultationId)
      })
      await jobs.work<LifecycleJob>(LIFECYCLE_QUEUE, { batchSize: 50 }, async job => {
        await lifecycle.dispatch(job.data)
      })
      await jobs.work(SWEEP_QUEUE, {}, async () => {
        await service.reconcile()
        await ipAnonymizer.run()
      })
      await jobs.work(IP_QUEUE, {}, async () => {
        await ipAnonymizer.run()
      })
      // A safety net: once a minute, anything overdue that a lost or failed job left behind is caught up.
      await jobs.schedule(SWEEP_QUEUE, '* * * * *')
      // What fell due while no instance ran is caught up at once, by the sweep job rather than here:
      // a backlog of thousands must not hold up the start (Fastify gives onReady 10 s).
      await jobs.send(SWEEP_QUEUE, {})
    })
    app.addHook('preClose', async () => {
      await jobs.stop()
      await realtime.stop()
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/runtime', dependencies: ['@sprechzimmer/database'] }
)
