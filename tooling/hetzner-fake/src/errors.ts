import { type ErrorBody } from './schema';

/**
 * HTTP status and default message per error code, from the "Error Codes" table of the API
 * reference (docs.hetzner.cloud, 2025/2026 edition, which added the status column).
 */
export const ERROR_CODES = {
  json_error: [400, 'Invalid JSON input in your request.'],
  unauthorized: [401, 'unable to authenticate'],
  token_readonly: [401, 'The token is only allowed to perform GET requests.'],
  forbidden: [403, 'Insufficient permissions for this request.'],
  maintenance: [403, 'Cannot perform operation due to maintenance.'],
  resource_limit_exceeded: [403, 'Error when exceeding the maximum quantity of a resource for an account.'],
  not_found: [404, 'Entity not found.'],
  method_not_allowed: [405, 'The request method is not allowed'],
  uniqueness_error: [409, 'One or more of the objects fields must be unique.'],
  conflict: [409, 'The resource has changed during the request, please retry.'],
  deprecated_api_endpoint: [410, 'The API endpoint functionality was removed.'],
  resource_unavailable: [412, 'The requested resource is currently unavailable.'],
  invalid_input: [422, 'Error while parsing or processing the input.'],
  service_error: [422, 'Error within a service.'],
  unsupported_error: [422, 'The corresponding resource does not support the Action.'],
  placement_error: [422, 'An error during the placement occurred'],
  locked: [423, 'The item you are trying to access is locked (there is already an Action running).'],
  protected: [423, 'The Action you are trying to start is protected for this resource.'],
  rate_limit_exceeded: [429, 'Error when sending too many requests.'],
  server_error: [500, 'Error within the API backend.'],
  bad_gateway: [502, 'The request could not be answered by the API backend, please retry.'],
  unavailable: [503, 'A service or product is currently not available.'],
  timeout: [504, 'The request could not be answered in time, please retry.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error the fake answers with `{"error": {code, message, details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  static of(code: ErrorCode, message?: string, details?: Record<string, unknown>): ApiError {
    const [status, defaultMessage] = ERROR_CODES[code];
    return new ApiError(status, code, message ?? defaultMessage, details);
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export interface FieldProblem {
  name: string;
  messages: string[];
}

/** `invalid_input` with `details.fields`, worded like the API: "invalid input in field 'name'". */
export function invalidInput(fields: FieldProblem[]): ApiError {
  const names = fields.map((f) => `'${f.name}'`).join(', ');
  const message =
    fields.length === 1
      ? `invalid input in field ${names}: ${fields[0]?.messages.join(', ')}`
      : `invalid input in fields ${names}`;
  return ApiError.of('invalid_input', message, { fields });
}

export function notFound(kind: string, id: number | string): ApiError {
  return ApiError.of('not_found', `${kind} with ID '${id}' not found`);
}
