import tap from 'tap'
import { setFinalTeardown } from '../src/testing.js'

setFinalTeardown(fn => tap.teardown(fn))

export * from '../src/testing.js'
