// janode 1.8 ships JavaScript without typings; this plugin uses only this much of it.
declare module 'janode' {
  const Janode: {
    connect(config: { address: { url: string; apisecret?: string }; max_retries?: number }): Promise<any>
    EVENT: Record<string, string>
    Logger: { setLevel(level: string): void }
  }
  export default Janode
}
declare module 'janode/plugins/videoroom' {
  const VideoRoomPlugin: unknown
  export default VideoRoomPlugin
}
