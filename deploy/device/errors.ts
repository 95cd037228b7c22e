/** Errors of the device side of a deploy: each names what went wrong and what stays in place. */
import { VigilError } from '../../runtime/errors.js';

export class DeployError extends VigilError {}
