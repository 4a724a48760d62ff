// janode has no types of its own: the media-janus plugin's declarations serve its tests too.
// A declaration file has to reference another one this way; an import would turn these ambient declarations into a module.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../plugins/media-janus/src/janode.d.ts" />
