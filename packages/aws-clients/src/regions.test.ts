import { describe, expect, it } from 'vitest';
import {
  AWS_REGIONS,
  CODECOMMIT_REGIONS,
  isCodeCommitRegion,
  isKnownAwsRegion,
  isOptInRegion,
  partitionOfRegion,
} from './regions.js';

describe('regions', () => {
  it('knows commercial, GovCloud and China regions, including the 2025 ones', () => {
    for (const name of [
      'us-east-1',
      'ap-east-2',
      'ap-southeast-6',
      'ap-southeast-7',
      'mx-central-1',
      'ca-west-1',
      'us-gov-west-1',
      'cn-northwest-1',
    ]) {
      expect(isKnownAwsRegion(name), name).toBe(true);
    }
    expect(AWS_REGIONS).toHaveLength(38);
  });

  it('rejects typos, case and whitespace variants, and made-up regions', () => {
    for (const name of ['us-east-3', 'US-EAST-1', ' us-east-1', 'useast1', '', 'eu-west-4', 'global']) {
      expect(isKnownAwsRegion(name), name).toBe(false);
    }
  });

  it('knows where CodeCommit runs', () => {
    expect(isCodeCommitRegion('us-east-1')).toBe(true);
    expect(isCodeCommitRegion('us-gov-east-1')).toBe(true);
    expect(isCodeCommitRegion('cn-north-1')).toBe(true);
    expect(isCodeCommitRegion('ap-southeast-7')).toBe(false);
    expect(isCodeCommitRegion('mx-central-1')).toBe(false);
    expect(isCodeCommitRegion('nowhere-1')).toBe(false);
    expect(CODECOMMIT_REGIONS).toHaveLength(29);
  });

  it('tells opt-in regions and partitions', () => {
    expect(isOptInRegion('af-south-1')).toBe(true);
    expect(isOptInRegion('eu-west-1')).toBe(false);
    expect(partitionOfRegion('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOfRegion('cn-north-1')).toBe('aws-cn');
    expect(partitionOfRegion('eu-west-1')).toBe('aws');
    expect(partitionOfRegion('xx-1')).toBeUndefined();
  });
});
