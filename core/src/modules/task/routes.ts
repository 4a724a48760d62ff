import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { errors } from '../../errors.js'
import { errorResponses, DateTime, Uuid } from '../../http/schemas.js'
import { Consultation } from '../consultation/consultation.entity.js'
import { Task } from './task.entity.js'

export const TaskView = Type.Object({
  id: Uuid,
  title: Type.String(),
  dueAt: Type.Union([DateTime, Type.Null()]),
  done: Type.Boolean(),
  consultationId: Type.Union([Uuid, Type.Null()]),
  createdAt: DateTime
})

export function taskView(t: Task): Static<typeof TaskView> {
  return {
    id: t.id,
    title: t.title,
    dueAt: t.dueAt?.toISOString() ?? null,
    done: t.done,
    consultationId: t.consultation ?? null,
    createdAt: t.createdAt.toISOString()
  }
}

const Title = Type.String({ minLength: 1, maxLength: 200 })
const TaskParams = Type.Object({ id: Uuid })

/** A provider's own to-do list. Every query is scoped to the caller: nobody sees another's tasks. */
const routes: FastifyPluginAsyncTypebox = async app => {
  app.get(
    '/api/tasks',
    {
      onRequest: app.requireProvider,
      schema: {
        tags: ['tasks'],
        summary: 'Your tasks, open ones by due date',
        querystring: Type.Object({ done: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }, { additionalProperties: false }),
        response: { 200: Type.Array(TaskView), ...errorResponses(400, 401, 403) }
      }
    },
    async request => {
      const { done } = request.query
      const tasks = await request.em.find(
        Task,
        { user: request.account!.id, ...(done ? { done: done === 'true' } : {}) },
        {
          orderBy: { done: 'asc', dueAt: 'asc nulls last', createdAt: 'asc' }
        }
      )
      return tasks.map(taskView)
    }
  )

  async function checkConsultation(request: { em: any; account: { practice?: string | null } | null }, consultationId: string): Promise<void> {
    const found = await request.em.count(Consultation, { id: consultationId, practice: request.account!.practice })
    if (!found) throw new errors.notFound('Consultation')
  }

  app.post(
    '/api/tasks',
    {
      onRequest: app.requireProvider,
      schema: {
        tags: ['tasks'],
        summary: "Add a task, optionally about one of the practice's consultations",
        body: Type.Object(
          { title: Title, dueAt: Type.Optional(Type.Union([DateTime, Type.Null()])), consultationId: Type.Optional(Type.Union([Uuid, Type.Null()])) },
          { additionalProperties: false }
        ),
        response: { 201: TaskView, ...errorResponses(400, 401, 403, 404) }
      }
    },
    async (request, reply) => {
      const { title, dueAt, consultationId } = request.body
      if (consultationId) await checkConsultation(request, consultationId)
      const task = request.em.create(Task, {
        user: request.account!.id,
        title,
        dueAt: dueAt ? new Date(dueAt) : null,
        done: false,
        consultation: consultationId ?? null
      })
      await request.em.flush()
      return reply.code(201).send(taskView(task))
    }
  )

  app.patch(
    '/api/tasks/:id',
    {
      onRequest: app.requireProvider,
      schema: {
        tags: ['tasks'],
        summary: "Change a task's title or due date, or mark it done",
        params: TaskParams,
        body: Type.Object(
          { title: Type.Optional(Title), dueAt: Type.Optional(Type.Union([DateTime, Type.Null()])), done: Type.Optional(Type.Boolean()) },
          { additionalProperties: false }
        ),
        response: { 200: TaskView, ...errorResponses(400, 401, 403, 404) }
      }
    },
    async request => {
      const task = await request.em.findOne(Task, { id: request.params.id, user: request.account!.id })
      if (!task) throw new errors.notFound('Task')
      const { title, dueAt, done } = request.body
      if (title !== undefined) task.title = title
      if (dueAt !== undefined) task.dueAt = dueAt ? new Date(dueAt) : null
      if (done !== undefined) task.done = done
      await request.em.flush()
      return taskView(task)
    }
  )

  app.delete(
    '/api/tasks/:id',
    {
      onRequest: app.requireProvider,
      schema: { tags: ['tasks'], summary: 'Delete a task', params: TaskParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) } }
    },
    async (request, reply) => {
      const deleted = await request.em.nativeDelete(Task, { id: request.params.id, user: request.account!.id })
      if (!deleted) throw new errors.notFound('Task')
      return reply.code(204).send(null)
    }
  )
}

export default routes
