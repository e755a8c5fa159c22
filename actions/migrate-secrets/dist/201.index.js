export const id = 201;
export const ids = [201];
export const modules = {

/***/ 1201:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ARM_ENDPOINT: () => (/* binding */ ARM_ENDPOINT),
/* harmony export */   armConnection: () => (/* binding */ armConnection),
/* harmony export */   armOriginOnly: () => (/* binding */ armOriginOnly),
/* harmony export */   armPort: () => (/* binding */ armPort),
/* harmony export */   retryAfterMs: () => (/* binding */ retryAfterMs)
/* harmony export */ });
/* harmony import */ var _azure_arm_resources__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9724);
/* harmony import */ var _azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1818);
/* harmony import */ var _arm_port_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8305);
/* harmony import */ var _credential_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(4593);
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
    return { endpoint: ARM_ENDPOINT, credential: (0,_credential_js__WEBPACK_IMPORTED_MODULE_3__/* .azureCredential */ .$D)(env), clientOptions: (0,_credential_js__WEBPACK_IMPORTED_MODULE_3__/* .azureClientOptions */ .ri)(env) };
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
    const client = new _azure_arm_resources__WEBPACK_IMPORTED_MODULE_0__/* .ResourceManagementClient */ .h0(connection.credential, subscriptionId, {
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
        const response = await client.sendRequest((0,_azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_1__/* .createPipelineRequest */ .G6)({
            url,
            method,
            ...(body !== undefined ? { body: JSON.stringify(body), headers: (0,_azure_core_rest_pipeline__WEBPACK_IMPORTED_MODULE_1__/* .createHttpHeaders */ .Nc)({ 'content-type': 'application/json' }) } : {}),
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
                if ((0,_arm_port_js__WEBPACK_IMPORTED_MODULE_2__/* .armFailureOf */ .OE)(error)?.code === 'ResourceGroupNotFound')
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
