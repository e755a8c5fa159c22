/**
 * Development secrets the production environment no longer uses. The development vault holds the
 * keys and endpoints of the AI services the voice agent calls; in production those services accept
 * only the app's managed identity (key authentication is disabled) and the template hands the app
 * their endpoints (azure-hipaa.yml, `ai`). Copying the keys would only put credentials that open
 * the development services into the production vault.
 */
export interface UnusedSecret {
  name: string;
  /** Why production does without it. */
  why: string;
}

export const UNUSED_IN_PRODUCTION: readonly UnusedSecret[] = [
  { name: 'AzureOpenAIKey', why: 'Azure OpenAI accepts only the app’s identity (key authentication is disabled)' },
  { name: 'AzureOpenAIEndpoint', why: 'the app gets AZURE_OPENAI_ENDPOINT from the template' },
  { name: 'AzureSpeechKey', why: 'Speech accepts only the app’s identity (key authentication is disabled)' },
  { name: 'AzureSpeechRegion', why: 'the app gets AZURE_SPEECH_REGION and AZURE_SPEECH_ENDPOINT from the template' },
  { name: 'AzureSearchKey', why: 'AI Search accepts only the app’s identity (API keys are disabled)' },
  { name: 'AzureSearchEndpoint', why: 'the app gets AZURE_SEARCH_ENDPOINT from the template' },
];

/** The entry for a secret name, compared without case as Key Vault compares names. */
export function unusedInProduction(name: string): UnusedSecret | undefined {
  const wanted = name.toLowerCase();
  return UNUSED_IN_PRODUCTION.find((secret) => secret.name.toLowerCase() === wanted);
}

/** What the report and the log say about the development secrets production does not use. */
export function unusedInProductionNote(names: readonly string[], included: boolean): string {
  const why =
    'The production environment reaches Azure OpenAI, Speech and AI Search with the app’s managed identity (their keys are disabled) and hands the app their endpoints from the template (azure-hipaa.yml, ai).';
  return included
    ? `Included although production does not use them (include-unused): ${names.join(', ')}. ${why}`
    : `Not copied, because production does not use them: ${names.join(', ')}. ${why} To copy them anyway (a production environment without those services), set include-unused (CLI: --include-unused).`;
}
