namespace LightNet;

/// <summary>
/// Limits and permissions for reading a model. Models are code: the defaults are strict, and a caller who
/// needs more says so.
/// </summary>
public sealed record ModelLoadOptions
{
    /// <summary>The defaults: 2 GiB file cap, protobuf recursion limit 100, external data off.</summary>
    public static ModelLoadOptions Default { get; } = new();

    /// <summary>Largest model file accepted, in bytes (default 2 GiB, which is also protobuf's own ceiling).</summary>
    public long MaxFileBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>How deeply protobuf messages may nest (subgraphs inside attributes inside nodes); default 100.</summary>
    public int RecursionLimit { get; init; } = 100;

    /// <summary>
    /// Whether tensors may keep their data in external files. Off by default. When on, only a model loaded
    /// from a path may use it, and only with relative paths that stay inside the model's folder.
    /// </summary>
    public bool AllowExternalData { get; init; }

    /// <summary>Largest element count of any single tensor (default 2^34).</summary>
    public long MaxTensorElements { get; init; } = 1L << 34;

    internal void Validate()
    {
        if (MaxFileBytes <= 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(MaxFileBytes)} must be positive, not {MaxFileBytes}.");
        }

        if (RecursionLimit is < 1 or > 10_000)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(RecursionLimit)} must be between 1 and 10000, not {RecursionLimit}.");
        }

        if (MaxTensorElements <= 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(MaxTensorElements)} must be positive, not {MaxTensorElements}.");
        }
    }
}
