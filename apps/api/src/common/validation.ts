import { type ArgumentMetadata, Injectable, type PipeTransform, type ValidationError, ValidationPipe } from '@nestjs/common';
import { type FieldError, ValidationFailed } from '@vaultrun/vault-core';
import { assertSafeJsonValue } from './json-body.js';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    for (const [rule, message] of Object.entries(e.constraints ?? {})) {
      const text = message.startsWith(`${e.property} `) ? message.slice(e.property.length + 1) : message;
      out.push({ field, message: rule === 'whitelistValidation' ? 'is not an accepted field' : text });
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/**
 * class-validator on every body and query: unknown fields are refused, types are checked and
 * converted, and every failure names its field. A body that is not a JSON object is refused too.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  private readonly inner = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      const fields = [...new Set(fieldErrors.map((f) => f.field))];
      return new ValidationFailed(fieldErrors, `Invalid ${fields.join(', ')}.`);
    },
  });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Bodies were checked when parsed (common/json-body.ts); queries and path parameters are checked here.
    if (metadata.type !== 'custom') assertSafeJsonValue(value, metadata.type === 'body' || metadata.type === 'query' ? '' : (metadata.data ?? metadata.type));
    const isDto = typeof metadata.metatype === 'function' && ![String, Number, Boolean, Array, Object].includes(metadata.metatype as never);
    if (isDto && (metadata.type === 'body' || metadata.type === 'query')) {
      if (value === undefined && metadata.type === 'body') value = {};
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw ValidationFailed.field(metadata.type, 'must be a JSON object');
      }
    }
    return this.inner.transform(value, metadata);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids are UUIDs; anything else is a 400 naming the parameter, never a database error. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw ValidationFailed.field(metadata.data ?? 'id', 'must be a UUID');
    }
    return value.toLowerCase();
  }
}
