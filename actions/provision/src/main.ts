import * as core from '@actions/core';

// Lands with its own issue; until then the action fails loudly instead of pretending to work.
core.setFailed('provision is not implemented yet: it lands with its own issue. Use the hipaa-gate action for now.');
