namespace LightNet.Zoo;

/// <summary>
/// How far a download has come, reported through <see cref="IProgress{T}"/> while
/// <see cref="ModelDownloader.DownloadAsync"/> receives bytes.
/// </summary>
/// <param name="FileName">The name of the file being downloaded (its name in the cache).</param>
/// <param name="BytesReceived">
/// Bytes of the file now on disk, counting bytes kept from an earlier, interrupted attempt that is being resumed.
/// </param>
/// <param name="TotalBytes">The size of the whole file when the server or the <see cref="PretrainedFile"/> says it; otherwise null.</param>
public readonly record struct DownloadProgress(string FileName, long BytesReceived, long? TotalBytes);
