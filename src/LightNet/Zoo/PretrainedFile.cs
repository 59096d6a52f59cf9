namespace LightNet.Zoo;

/// <summary>
/// One file to fetch into the model cache: where it lives on the web, the name it gets in the cache and,
/// ideally, the SHA-256 it must have. Every value is checked when the record is created (or changed with
/// <c>with</c>); a bad one throws <see cref="LightNetException"/> with <see cref="ErrorCode.InvalidArgument"/>.
/// </summary>
/// <param name="FileName">
/// The file's name in the cache folder: a plain name, without path separators, not <c>.</c> or <c>..</c>,
/// and not ending in <c>.partial</c> or <c>.sha256</c> (those names are the cache's own).
/// </param>
/// <param name="Url">The absolute http or https address to download the file from.</param>
/// <param name="Sha256">
/// The expected SHA-256 of the file as 64 hexadecimal characters (either case), or null to record the hash of
/// the first download and verify against that later.
/// </param>
/// <param name="SizeBytes">The expected size of the file in bytes, or null when unknown.</param>
public sealed record PretrainedFile(string FileName, Uri Url, string? Sha256 = null, long? SizeBytes = null)
{
    private const int MaxFileNameLength = 255;

    /// <summary>The file's name in the cache folder: a plain name, never a path.</summary>
    public string FileName { get; init => field = ValidateFileName(value); } = ValidateFileName(FileName);

    /// <summary>The absolute http or https address the file is downloaded from.</summary>
    public Uri Url { get; init => field = ValidateUrl(value); } = ValidateUrl(Url);

    /// <summary>
    /// The expected SHA-256 as 64 lower-case hexadecimal characters (input in either case is accepted and
    /// normalised), or null when the hash is not pinned.
    /// </summary>
    public string? Sha256 { get; init => field = NormalizeSha256(value); } = NormalizeSha256(Sha256);

    /// <summary>The expected size of the file in bytes, or null when unknown.</summary>
    public long? SizeBytes { get; init => field = ValidateSize(value); } = ValidateSize(SizeBytes);

    /// <summary>Whether <paramref name="value"/> is exactly 64 hexadecimal characters.</summary>
    internal static bool IsSha256Hex(string? value)
    {
        if (value is null || value.Length != 64)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string ValidateFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The file name of a pretrained file must not be empty.");
        }

        if (name.Length > MaxFileNameLength)
        {
            throw new LightNetException(
                ErrorCode.InvalidArgument,
                $"The file name '{name[..40]}...' is {name.Length} characters long; at most {MaxFileNameLength} are allowed.");
        }

        if (name == "." || name == ".." || name.Contains("..", StringComparison.Ordinal))
        {
            throw new LightNetException(
                ErrorCode.InvalidArgument,
                $"The file name '{name}' must be a plain file name; '..' is not allowed.");
        }

        if (name.IndexOfAny(['/', '\\', ':']) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
            || name.Any(char.IsControl))
        {
            throw new LightNetException(
                ErrorCode.InvalidArgument,
                $"The file name '{name}' must be a plain file name, without path separators, ':' or control characters.");
        }

        if (name != name.Trim() || name.EndsWith('.'))
        {
            throw new LightNetException(
                ErrorCode.InvalidArgument,
                $"The file name '{name}' must not start or end with white space or end with '.'.");
        }

        if (name.EndsWith(ModelDownloader.PartialSuffix, StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(ModelDownloader.HashSuffix, StringComparison.OrdinalIgnoreCase))
        {
            throw new LightNetException(
                ErrorCode.InvalidArgument,
                $"The file name '{name}' ends in '{ModelDownloader.PartialSuffix}' or '{ModelDownloader.HashSuffix}', which the cache uses for its own files.");
        }

        return name;
    }

    private static Uri ValidateUrl(Uri? url)
    {
        ArgumentNullException.ThrowIfNull(url);

        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new LightNetException(
                ErrorCode.InvalidArgument,
                $"The URL '{url.OriginalString}' must be an absolute http or https address.");
        }

        return url;
    }

    private static string? NormalizeSha256(string? sha256)
    {
        if (sha256 is null)
        {
            return null;
        }

        if (!IsSha256Hex(sha256))
        {
            throw new LightNetException(
                ErrorCode.InvalidArgument,
                $"The SHA-256 '{sha256}' must be exactly 64 hexadecimal characters.");
        }

        return sha256.ToLowerInvariant();
    }

    private static long? ValidateSize(long? size)
    {
        if (size < 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The expected size {size} of a pretrained file must not be negative.");
        }

        return size;
    }
}
