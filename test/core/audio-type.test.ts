import { describe, expect, it } from 'vitest';
import { audioTypeOfFormat, sniffAudioType } from '../../src/core/audio-type.js';

describe('audio media types', () => {
  it.each([
    ['RIFF\0\0\0\0WAVE', 'audio/wav'],
    ['ID3\x04', 'audio/mpeg'],
    ['\xff\xfb\x90', 'audio/mpeg'],
    ['\xff\xf1\x50', 'audio/aac'],
    ['OggS', 'audio/ogg'],
    ['fLaC', 'audio/flac'],
    ['\x1a\x45\xdf\xa3', 'audio/webm'],
    ['\0\0\0\x20ftypM4A ', 'audio/mp4'],
  ])('sniffs %j as %s', (bytes, type) => {
    expect(sniffAudioType(Buffer.from(bytes, 'latin1'))).toBe(type);
  });

  it('sniffs nothing from bytes that name no container', () => {
    expect(sniffAudioType(Buffer.from('hello'))).toBeUndefined();
    expect(sniffAudioType(new Uint8Array())).toBeUndefined();
  });

  it('maps format names and file names, ignoring case', () => {
    expect(audioTypeOfFormat('mp3')).toBe('audio/mpeg');
    expect(audioTypeOfFormat('Voice.Note.M4A')).toBe('audio/mp4');
    expect(audioTypeOfFormat('opus')).toBe('audio/ogg');
    expect(audioTypeOfFormat('notes.txt')).toBeUndefined();
    expect(audioTypeOfFormat(undefined)).toBeUndefined();
  });
});
