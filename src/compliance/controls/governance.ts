import { baaServiceOf, configuresOther, holdsNoData } from '../../azure/resource-types.js';
import type { Control } from '../control.js';
import { read } from './access.js';
import { fail, notApplicable, pass, unknown } from './rules.js';

export const tagsControls: Control[] = [
  {
    id: 'tags.required',
    title: 'Resources carry the required tags (asset inventory)',
    severity: 'required',
    hipaa: ['164.308(a)(1)(ii)(A)'],
    appliesTo: 'every-resource',
    remediation: 'Add the required tags (default Compliance=HIPAA and Environment) to the resource (config: tags).',
    evaluate(resource, { policy }) {
      if (!resource || resource.parent || configuresOther(resource.type) || resource.type.split('/').length > 2)
        return notApplicable('child resources, and those that only configure others, are not assets of their own');
      const tags = read(resource, ['tags']);
      if (tags.kind === 'unknown') return unknown(`tags cannot be known offline (${tags.reason})`, ['tags']);
      const problems: string[] = [];
      const undecided: string[] = [];
      for (const [name, required] of Object.entries(policy.requiredTags)) {
        const value = read(resource, ['tags', name]);
        if (value.kind === 'unknown') undecided.push(`${name} (${value.reason})`);
        else if (value.kind === 'absent' || value.value === '') problems.push(`${name} is missing`);
        else if (required !== null && String(value.value) !== required)
          problems.push(`${name} is "${String(value.value)}", not "${required}"`);
      }
      if (problems.length > 0) return fail(`tags: ${problems.join('; ')}`, ['tags']);
      if (undecided.length > 0) return unknown(`the value of tag ${undecided.join(', ')} cannot be known offline`, ['tags']);
      return pass(`carries ${Object.keys(policy.requiredTags).join(', ')}`, ['tags']);
    },
  },
];

const DAY_MS = 86_400_000;

export const baaControls: Control[] = [
  {
    id: 'baa.scope',
    title: "Every resource type is in the scope of Microsoft's HIPAA BAA",
    severity: 'required',
    hipaa: ['164.308(b)(1)'],
    appliesTo: 'every-resource',
    remediation:
      "Use only Azure services on Microsoft's HIPAA BAA in-scope list for anything that may touch PHI, or keep PHI out of this resource and waive with the reason.",
    evaluate(resource) {
      if (!resource) return notApplicable('no resource');
      if (configuresOther(resource.type)) return notApplicable(`${resource.type} only configures other resources and holds no data`);
      if (holdsNoData(resource.type)) return notApplicable(`${resource.type} holds no data of its own`);
      const service = baaServiceOf(resource.type);
      return service
        ? pass(`${resource.type} is part of ${service}, in the BAA's scope`)
        : fail(`${resource.type} is not known to be in the BAA's scope`);
    },
  },
  {
    id: 'baa.evidence',
    title: 'A signed BAA is on record, matches its hash, and was reviewed recently',
    severity: 'required',
    hipaa: ['164.308(b)(1)', '164.316(b)(2)'],
    appliesTo: 'environment',
    remediation:
      "Record the BAA in the config: baa.signedDate, baa.reviewedDate (YYYY-MM-DD), baa.file (a copy in the repository, relative to the config file) and baa.sha256 (`sha256sum <file>`). Microsoft's HIPAA BAA is part of the Product Terms / Data Protection Addendum for in-scope services; save your copy and review it at least yearly.",
    evaluate(_resource, { baa, policy, now }) {
      if (!baa) return fail('the config records no BAA evidence (baa.signedDate, baa.reviewedDate, baa.file, baa.sha256)');
      if ('problem' in baa.found) return fail(`the BAA file ${baa.file} ${baa.found.problem}`);
      const actual = baa.found.sha256;
      if (actual !== baa.sha256.toLowerCase())
        return fail(`the sha256 of ${baa.file} is ${actual}, not the recorded ${baa.sha256}: the file changed or the hash is wrong`);
      const signed = Date.parse(`${baa.signedDate}T00:00:00Z`);
      const reviewed = Date.parse(`${baa.reviewedDate}T00:00:00Z`);
      if (Number.isNaN(signed) || signed > now.getTime()) return fail(`baa.signedDate ${baa.signedDate} is not a date in the past`);
      if (Number.isNaN(reviewed)) return fail(`baa.reviewedDate ${baa.reviewedDate} is not a date`);
      const age = Math.floor((now.getTime() - reviewed) / DAY_MS);
      if (age > policy.baaReviewMaxAgeDays)
        return fail(
          `the BAA was last reviewed ${age} days ago (${baa.reviewedDate}); the policy asks for a review every ${policy.baaReviewMaxAgeDays} days`,
        );
      return pass(`BAA signed ${baa.signedDate}, file ${baa.file} matches its sha256, reviewed ${age} days ago`);
    },
  },
];
