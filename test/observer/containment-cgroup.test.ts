import { describe } from 'node:test';
import { containmentSupport } from '../../src/observer/containment.js';
import { containmentScenarios } from './containment-scenarios.js';

const support = containmentSupport();

describe('attempt containment by cgroup v2', () => {
  containmentScenarios('cgroup', support.kind === 'cgroup' ? false : `no cgroup here: ${'reason' in support ? support.reason : ''}`, true);
});
