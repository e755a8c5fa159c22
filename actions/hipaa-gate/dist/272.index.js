export const id = 272;
export const ids = [272];
export const modules = {

/***/ 3272:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ARM_ENDPOINT: () => (/* binding */ ARM_ENDPOINT),
  armConnection: () => (/* binding */ armConnection),
  armOriginOnly: () => (/* binding */ armOriginOnly),
  armPort: () => (/* binding */ armPort),
  retryAfterMs: () => (/* binding */ retryAfterMs)
});

// EXTERNAL MODULE: ./node_modules/@azure/arm-resources/dist/esm/index.js + 27 modules
var esm = __webpack_require__(9724);
// EXTERNAL MODULE: ./node_modules/@azure/core-rest-pipeline/dist/esm/index.js + 81 modules
var dist_esm = __webpack_require__(4792);
// EXTERNAL MODULE: ./src/azure/arm-port.ts
var arm_port = __webpack_require__(8305);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: ./node_modules/@azure/identity/dist/esm/index.js + 155 modules
var identity_dist_esm = __webpack_require__(3952);
// EXTERNAL MODULE: ./src/core/errors.ts
var errors = __webpack_require__(4296);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(4708);
;// CONCATENATED MODULE: ./src/azure/sandbox-client.ts



/** Azure's hosts the sandbox serves; Front Door endpoints (`<endpoint>-<hash>.z01.azurefd.net`) too: the app's address behind the edge. */
const SANDBOX_HOSTS = /^(login\.microsoftonline\.com|management\.azure\.com|api\.loganalytics\.io|api\.twilio\.com|api\.github\.com|[a-z0-9-]+\.vault\.azure\.net|[a-z0-9]+\.azurecr\.io|[a-z0-9.-]+\.azurecontainerapps\.io|[a-z0-9.-]+\.azurefd\.net)$/i;
/** Hosts that exist only while the sandbox has the resource behind them: a vault, a registry. */
const RESOURCE_HOSTS = [
    [/^([a-z0-9-]+)\.vault\.azure\.net$/i, 'vaults'],
    [/^([a-z0-9]+)\.azurecr\.io$/i, 'registries'],
];
/**
 * An HttpClient that sends Azure's own URLs (`https://<vault>.vault.azure.net/...`) to the
 * sandbox on 127.0.0.1, keeping the Azure host name for SNI and Host and verifying TLS against
 * the sandbox CA. App code and URLs stay exactly as they are for real Azure. A vault the
 * sandbox does not have fails like DNS does for a vault that does not exist: ENOTFOUND.
 */
function sandboxHttpClient(descriptor) {
    const agent = new external_node_https_.Agent({ ca: (0,external_node_fs_.readFileSync)(descriptor.caCert), keepAlive: true });
    const known = new Set();
    async function resourceExists(collection, name) {
        const key = `${collection}/${name}`;
        if (known.has(key))
            return true;
        const status = await new Promise((resolve, reject) => {
            const probe = (0,external_node_https_.request)({
                host: '127.0.0.1',
                port: descriptor.port,
                path: `/_sandbox/${key}`,
                servername: 'localhost',
                agent,
                headers: { host: 'localhost' },
            }, (res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
            });
            probe.on('error', reject);
            probe.end();
        });
        if (status === 200)
            known.add(key);
        return status === 200;
    }
    return {
        async sendRequest(request) {
            const url = new URL(request.url);
            const [pattern, collection] = RESOURCE_HOSTS.find(([host]) => host.test(url.hostname)) ?? [];
            const name = pattern?.exec(url.hostname)?.[1]?.toLowerCase();
            if (!SANDBOX_HOSTS.test(url.hostname) || (collection && name && !(await resourceExists(collection, name)))) {
                throw new dist_esm/* RestError */.pj(`getaddrinfo ENOTFOUND ${url.hostname}`, { code: 'ENOTFOUND', request });
            }
            const body = typeof request.body === 'string' || Buffer.isBuffer(request.body)
                ? request.body
                : request.body === undefined || request.body === null
                    ? undefined
                    : String(request.body);
            return new Promise((resolve, reject) => {
                const outgoing = (0,external_node_https_.request)({
                    host: '127.0.0.1',
                    port: descriptor.port,
                    method: request.method,
                    path: `${url.pathname}${url.search}`,
                    servername: url.hostname,
                    agent,
                    headers: { ...request.headers.toJSON(), host: url.hostname },
                }, (incoming) => {
                    const chunks = [];
                    incoming.on('data', (chunk) => chunks.push(chunk));
                    incoming.on('end', () => {
                        const headers = (0,dist_esm/* createHttpHeaders */.Nc)();
                        for (const [name, value] of Object.entries(incoming.headers))
                            if (value !== undefined)
                                headers.set(name, Array.isArray(value) ? value.join(', ') : value);
                        resolve({ request, status: incoming.statusCode ?? 0, headers, bodyAsText: Buffer.concat(chunks).toString('utf8') });
                    });
                    incoming.on('error', (error) => reject(new dist_esm/* RestError */.pj(error.message, { code: 'ECONNRESET', request })));
                });
                outgoing.on('error', (error) => reject(new dist_esm/* RestError */.pj(error.message, { code: error.code ?? 'ECONNRESET', request })));
                // One long-lived cancellation signal rides on every request of a rollout; drop the listener when the request ends.
                const abort = () => outgoing.destroy(new Error('The operation was aborted.'));
                request.abortSignal?.addEventListener('abort', abort, { once: true });
                outgoing.on('close', () => request.abortSignal?.removeEventListener('abort', abort));
                if (body !== undefined)
                    outgoing.write(body);
                outgoing.end();
            });
        },
    };
}

;// CONCATENATED MODULE: ./src/azure/credential.ts





/**
 * The one switch between real Azure and the local sandbox: AZURE_HIPAA_SANDBOX (JSON: port and
 * CA certificate path). Without it, nothing here changes how the Azure SDKs behave.
 */
function sandboxOf(env) {
    const raw = env['AZURE_HIPAA_SANDBOX'];
    if (!raw)
        return undefined;
    try {
        const descriptor = JSON.parse(raw);
        if (typeof descriptor.port !== 'number' || typeof descriptor.caCert !== 'string')
            throw new Error('needs port and caCert');
        return descriptor;
    }
    catch (error) {
        throw new errors/* ConfigurationError */.j(`AZURE_HIPAA_SANDBOX is not a sandbox descriptor (${(0,errors/* errorMessage */.g)(error)}). Use the env that \`azure-hipaa sandbox up\` prints, or unset it for real Azure.`);
    }
}
const clients = new Map();
function sandboxClient(descriptor) {
    const key = `${descriptor.port}|${descriptor.caCert}`;
    let client = clients.get(key);
    if (!client)
        clients.set(key, (client = sandboxHttpClient(descriptor)));
    return client;
}
/** The credential every Azure client uses: DefaultAzureCredential (azure/login's OIDC, `az login`), or the sandbox's client secret. */
function azureCredential(env) {
    const sandbox = sandboxOf(env);
    if (!sandbox)
        return new identity_dist_esm/* DefaultAzureCredential */.gv();
    const tenant = env['AZURE_TENANT_ID'];
    const clientId = env['AZURE_CLIENT_ID'];
    const secret = env['AZURE_CLIENT_SECRET'];
    const federatedTokenFile = env['AZURE_FEDERATED_TOKEN_FILE'];
    const options = {
        authorityHost: env['AZURE_AUTHORITY_HOST'] ?? 'https://login.microsoftonline.com',
        disableInstanceDiscovery: true,
        httpClient: sandboxClient(sandbox),
    };
    if (tenant && clientId && federatedTokenFile) {
        // As workload identity federation does: the assertion is read afresh for every token.
        return new identity_dist_esm/* ClientAssertionCredential */.XI(tenant, clientId, async () => (await (0,promises_.readFile)(federatedTokenFile, 'utf8')).trim(), options);
    }
    if (!tenant || !clientId || !secret)
        throw new errors/* ConfigurationError */.j('The sandbox needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE) from `azure-hipaa sandbox up`.');
    return new identity_dist_esm/* ClientSecretCredential */.HC(tenant, clientId, secret, options);
}
/** The HTTP client for requests outside the Azure SDKs (a registry's token exchange, an app's address, Twilio): the sandbox's when it is switched on. */
function azureHttpClient(env) {
    return azureClientOptions(env).httpClient ?? createDefaultHttpClient();
}
/** Options for any Azure SDK client: routes to the sandbox when it is switched on, else empty. */
function azureClientOptions(env) {
    const sandbox = sandboxOf(env);
    return sandbox ? { httpClient: sandboxClient(sandbox) } : {};
}
/**
 * The object id of the identity the workflow signed in as (the `oid` claim of its Resource Manager
 * token), for role grants to itself; undefined when no token can be had or it names no object.
 */
async function signedInPrincipal(env) {
    try {
        const token = await azureCredential(env).getToken('https://management.azure.com/.default');
        const claims = JSON.parse(Buffer.from(token?.token.split('.')[1] ?? '', 'base64url').toString('utf8'));
        return typeof claims.oid === 'string' && /^[0-9a-f-]{36}$/i.test(claims.oid) ? claims.oid : undefined;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/azure/arm.ts
/**
 * src/azure holds the adapters to Azure (the ARM port, Key Vault, the credential and the sandbox
 * routing) and the registry of resource types (resource-types.ts), which every layer may read.
 */




const ARM_ENDPOINT = 'https://management.azure.com';
/** The polling interval a response asks for (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`), within bounds. */
function retryAfterMs(headers, fallbackMs) {
    const milliseconds = headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms');
    const seconds = headers.get('retry-after');
    const asked = milliseconds !== undefined ? Number(milliseconds) : seconds !== undefined ? Number(seconds) * 1000 : fallbackMs;
    return Math.min(30_000, Math.max(10, Number.isFinite(asked) ? asked : fallbackMs));
}
/** Public Azure's Resource Manager with DefaultAzureCredential, or the sandbox when AZURE_HIPAA_SANDBOX is set. */
function armConnection(env) {
    return { endpoint: ARM_ENDPOINT, credential: azureCredential(env), clientOptions: azureClientOptions(env) };
}
/**
 * Resource Manager's token goes to the endpoint in use and nowhere else. ARM's answers name the
 * next address to call (a long-running operation's Location or Azure-AsyncOperation, a list's
 * nextLink), and the SDK and the rollout follow them with the token: any request this client
 * sends must be https on the endpoint's origin, or it is refused before it is signed or sent.
 */
function armOriginOnly(endpoint) {
    const origin = new URL(endpoint).origin;
    return {
        name: 'armOriginOnly',
        sendRequest: (request, next) => {
            let target;
            try {
                target = new URL(request.url).origin;
            }
            catch {
                target = 'an address that does not parse';
            }
            if (target !== origin || !origin.startsWith('https://'))
                throw new Error(`${target} is not the Resource Manager endpoint in use (${origin}): its token goes nowhere else. Azure named that address to call next (a long-running operation's Location or Azure-AsyncOperation, or a list's nextLink); nothing was sent to it.`);
            return next(request);
        },
    };
}
/** An ArmPort over `@azure/arm-resources` for one subscription. */
function armPort(env, subscriptionId, connection = armConnection(env)) {
    const client = new esm/* ResourceManagementClient */.h0(connection.credential, subscriptionId, {
        ...connection.clientOptions,
        endpoint: connection.endpoint,
    });
    // No phase: it runs before the retry, redirect and signing policies.
    client.pipeline.addPolicy(armOriginOnly(connection.endpoint));
    const askedInterval = (response) => (response.headers.get('retry-after-ms') ?? response.headers.get('x-ms-retry-after-ms') ?? response.headers.get('retry-after'))
        ? retryAfterMs(response.headers, 5000)
        : undefined;
    const send = async (method, path, apiVersion, body) => {
        const url = path.startsWith('https://') ? path : `${connection.endpoint}${path}${apiVersion ? `?api-version=${apiVersion}` : ''}`;
        const response = await client.sendRequest((0,dist_esm/* createPipelineRequest */.G6)({
            url,
            method,
            ...(body !== undefined ? { body: JSON.stringify(body), headers: (0,dist_esm/* createHttpHeaders */.Nc)({ 'content-type': 'application/json' }) } : {}),
        }));
        let parsed;
        try {
            parsed = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
        }
        catch {
            parsed = response.bodyAsText;
        }
        return { status: response.status, body: parsed, headers: response.headers.toJSON() };
    };
    return {
        subscriptionId,
        async get(path, apiVersion) {
            const { status, body } = await send('GET', path, apiVersion);
            return { status, body };
        },
        send,
        async listResources(resourceGroup) {
            const listed = [];
            for await (const { id, type, location, tags, sku, kind, identity } of client.resources.listByResourceGroup(resourceGroup)) {
                if (id && type)
                    listed.push({ id, type, envelope: { location, tags, sku, kind, identity } });
            }
            return listed;
        },
        async getResourceGroup(name) {
            try {
                const group = await client.resourceGroups.get(name);
                return { location: group.location, ...(group.tags ? { tags: group.tags } : {}) };
            }
            catch (error) {
                if ((0,arm_port/* armFailureOf */.OE)(error)?.code === 'ResourceGroupNotFound')
                    return undefined;
                throw error;
            }
        },
        async putResourceGroup(name, group) {
            await client.resourceGroups.createOrUpdate(name, group);
        },
        async whatIf(resourceGroup, deploymentName, deployment) {
            let rawBody;
            await client.deployments.beginWhatIfAndWait(resourceGroup, deploymentName, deployment, {
                onResponse: (response) => {
                    if (response.status === 200 && response.bodyAsText)
                        rawBody = response.bodyAsText;
                },
            });
            if (!rawBody)
                throw new Error(`What-if of deployment ${deploymentName} returned no result.`);
            return rawBody;
        },
        async validate(resourceGroup, deploymentName, deployment) {
            await client.deployments.beginValidateAndWait(resourceGroup, deploymentName, deployment);
        },
        async startDeployment(resourceGroup, deploymentName, deployment) {
            let interval;
            await client.deployments.beginCreateOrUpdate(resourceGroup, deploymentName, deployment, {
                onResponse: (response) => void (interval = askedInterval(response)),
            });
            return interval;
        },
        async getDeployment(resourceGroup, deploymentName) {
            let interval;
            const deployment = await client.deployments.get(resourceGroup, deploymentName, {
                onResponse: (response) => void (interval = askedInterval(response)),
            });
            return { deployment, ...(interval !== undefined ? { retryAfterMs: interval } : {}) };
        },
        async listDeploymentOperations(resourceGroup, deploymentName) {
            const operations = [];
            for await (const operation of client.deploymentOperations.list(resourceGroup, deploymentName))
                operations.push(operation);
            return operations;
        },
    };
}


/***/ })

};
