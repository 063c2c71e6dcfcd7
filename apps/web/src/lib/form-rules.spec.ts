import { describe, expect, it } from '@jest/globals';
import { zCreateInviteDto, zCreateOperatorDto, zCreateTokenDto } from '../api/generated/zod.gen.js';
import { fieldErrors } from './form-rules.js';

describe('form rules (zod schemas generated from the API’s OpenAPI document)', () => {
  it('accepts what the API accepts', () => {
    expect(fieldErrors(zCreateOperatorDto, { name: 'Summariser', instructions: 'Be brief.', temperature: 0.2, maxOutputTokens: 300, outputFormat: 'text' })).toEqual({});
    expect(fieldErrors(zCreateTokenDto, { name: 'Support bot', scopes: ['run'] })).toEqual({});
  });

  it('names each field the API would refuse, in words', () => {
    expect(fieldErrors(zCreateOperatorDto, { name: '', temperature: 2.5, maxOutputTokens: 0, model: 'm'.repeat(201) })).toEqual({
      name: 'Required.',
      temperature: 'A number from 0 to 2.',
      maxOutputTokens: 'A number from 1 to 200,000.',
      model: 'At most 200 characters.',
    });
    expect(fieldErrors(zCreateOperatorDto, { name: 'x', temperature: Number.NaN })).toEqual({ temperature: 'Enter a number.' });
    expect(fieldErrors(zCreateTokenDto, { name: 'x'.repeat(101), scopes: ['root'] })).toEqual({ name: 'At most 100 characters.', scopes: 'Choose one of: read, run, admin, inference.' });
    expect(fieldErrors(zCreateInviteDto, { email: 'a@b.test' })).toEqual({ role: 'Required.' });
  });
});
