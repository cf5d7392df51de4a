import { describe } from 'node:test';
import { containmentSupport } from '../../src/observer/containment.js';
import { containmentScenarios } from './containment-scenarios.js';

// The fallback where no cgroup can be made, forced here (each test file runs in its own process).
process.env.PONTOON_CONTAINMENT = 'subreaper';
const support = containmentSupport();

describe('attempt containment by a child subreaper (the fallback)', () => {
  containmentScenarios('subreaper', support.kind === 'subreaper' ? false : `no subreaper here: ${'reason' in support ? support.reason : ''}`, false);
});
