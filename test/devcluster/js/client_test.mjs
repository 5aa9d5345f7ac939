// @kubernetes/client-node 1.x over TLS with a bearer token against the real
// switchyard-devcluster: create, list (with limit/continue), status patches
// (JSON patch, the client's default, and merge patch), 422 naming the field,
// and an informer (makeInformer) that sees adds and updates.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Devcluster, binaryFromArgv, loadClient, sourceDir, waitFor } from './devcluster_process.mjs';

const binary = binaryFromArgv();
const k8s = await loadClient();

const GROUP = 'switchyard.io';
const VERSION = 'v1alpha1';
const PLURAL = 'failoverservices';
const NAMESPACE = 'js-test';

function example(name) {
  const body = k8s.loadYaml(readFileSync(join(sourceDir, 'examples', 'emojivoto', 'failoverservice.yaml'), 'utf8'));
  body.metadata = { name, namespace: NAMESPACE, labels: { suite: 'js' } };
  return body;
}

describe('@kubernetes/client-node against switchyard-devcluster', () => {
  let server;
  let kc;
  let custom;

  before(async () => {
    server = await new Devcluster(binary).start();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    assert.ok(kc.getCurrentCluster().server.startsWith('https://'), 'the client must speak TLS');
    const extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
    for (const file of ['failoverservice.yaml', 'membercluster.yaml', 'trafficsplit.yaml']) {
      const crd = k8s.loadYaml(readFileSync(join(sourceDir, 'crds', file), 'utf8'));
      await extensions.createCustomResourceDefinition({ body: crd });
    }
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await waitFor(async () => {
      try {
        await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL });
        return true;
      } catch (error) {
        if (error.code === 404) return false;
        throw error;
      }
    }, 'FailoverServices to be served');
  });

  after(async () => {
    if (server) await server.stop();
  });

  const create = (name) => custom.createNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, body: example(name),
  });

  it('creates an object and gets server-owned metadata back; a second create is 409 AlreadyExists', async () => {
    const created = await create('js-create');
    assert.equal(created.kind, 'FailoverService');
    assert.ok(created.metadata.uid);
    assert.match(created.metadata.resourceVersion, /^\d+$/);
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.spec.backingServices[1].cluster, 'east');
    await assert.rejects(create('js-create'), (error) => {
      assert.equal(error.code, 409);
      const status = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      assert.equal(status.reason, 'AlreadyExists');
      return true;
    });
  });

  it('lists with limit and continue, every object exactly once', async () => {
    const wanted = ['js-list-0', 'js-list-1', 'js-list-2', 'js-list-3'];
    for (const name of wanted) await create(name);
    const seen = [];
    let token;
    let pages = 0;
    do {
      const page = await custom.listNamespacedCustomObject({
        group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, limit: 2, _continue: token,
      });
      pages += 1;
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((item) => item.metadata.name));
      token = page.metadata.continue;
      assert.ok(pages < 100, 'paging does not end');
    } while (token);
    assert.equal(new Set(seen).size, seen.length, `listed twice: ${seen}`);
    for (const name of wanted) assert.ok(seen.includes(name), `${name} missing from ${seen}`);
    assert.ok(pages >= 2);
  });

  it('patches status with the default JSON patch and with a merge patch; spec and generation stay', async () => {
    const created = await create('js-status');
    const jsonPatched = await custom.patchNamespacedCustomObjectStatus({
      group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, name: 'js-status',
      body: [{ op: 'add', path: '/status', value: { state: 'Primary', observedGeneration: 1 } }],
    });
    assert.equal(jsonPatched.status.state, 'Primary');
    assert.equal(jsonPatched.metadata.generation, 1);
    assert.deepEqual(jsonPatched.spec, created.spec);

    const merged = await custom.patchNamespacedCustomObjectStatus({
      group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, name: 'js-status',
      body: { status: { state: 'FailedOver' } },
    }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    assert.equal(merged.status.state, 'FailedOver');
    assert.equal(merged.status.observedGeneration, 1, 'a merge patch keeps the other status fields');
    assert.ok(Number(merged.metadata.resourceVersion) > Number(jsonPatched.metadata.resourceVersion));

    const fetched = await custom.getNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, name: 'js-status',
    });
    assert.equal(fetched.status.state, 'FailedOver');
  });

  it('rejects a schema violation with 422 naming the field', async () => {
    const body = example('js-invalid');
    body.spec.backingServices[0].weight = 0;
    await assert.rejects(custom.createNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, body,
    }), (error) => {
      assert.equal(error.code, 422);
      const status = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      assert.equal(status.reason, 'Invalid');
      assert.ok(status.details.causes.some((cause) => cause.field === 'spec.backingServices[0].weight'),
        JSON.stringify(status));
      return true;
    });
  });

  it('runs an informer that sees adds and updates', async () => {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/${PLURAL}`;
    const list = () => custom.listNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, labelSelector: 'informer=yes',
    });
    const informer = k8s.makeInformer(kc, path, list, 'informer=yes');
    const added = [];
    const updated = [];
    const errors = [];
    informer.on('add', (obj) => added.push(obj.metadata.name));
    informer.on('update', (obj) => updated.push([obj.metadata.name, obj.status?.state]));
    informer.on('error', (error) => errors.push(error));
    await informer.start();
    try {
      const body = example('js-informed');
      body.metadata.labels.informer = 'yes';
      await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, body });
      await waitFor(() => added.includes('js-informed'), 'the informer to see the add');
      assert.ok(informer.get('js-informed', NAMESPACE), 'the informer cache holds the object');

      await custom.patchNamespacedCustomObjectStatus({
        group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, name: 'js-informed',
        body: { status: { state: 'NoHealthyBackend' } },
      }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await waitFor(() => updated.some(([name, state]) => name === 'js-informed' && state === 'NoHealthyBackend'),
        'the informer to see the update');
      assert.equal(informer.get('js-informed', NAMESPACE).status.state, 'NoHealthyBackend');
      // Objects outside the label selector never reach it.
      assert.ok(!added.includes('js-create'));
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });
});
