import type { ArmPort } from '../../src/azure/arm-port.js';

/** An ArmPort whose every call fails unless the test answers it: a test says exactly what ARM does for it. */
export function fakeArm(subscriptionId: string, answers: Partial<Omit<ArmPort, 'subscriptionId'>>): ArmPort {
  const unanswered = (name: string) => () => Promise.reject(new Error(`ArmPort.${name} was called, but this test does not answer it`));
  return {
    subscriptionId,
    get: unanswered('get'),
    send: unanswered('send'),
    listResources: unanswered('listResources'),
    getResourceGroup: unanswered('getResourceGroup'),
    putResourceGroup: unanswered('putResourceGroup'),
    whatIf: unanswered('whatIf'),
    validate: unanswered('validate'),
    startDeployment: unanswered('startDeployment'),
    getDeployment: unanswered('getDeployment'),
    listDeploymentOperations: unanswered('listDeploymentOperations'),
    ...answers,
  };
}
