using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using BenchmarkDotNet.Running;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// The model, backend and thread count of a benchmark case, as LightNet's exporter and validator read them: the
/// parameters whose members carry <see cref="LightNetModelsAttribute"/> / <see cref="LightNetBackendsAttribute"/>, else
/// those named "Model", "Backend" and "Threads" (as <see cref="LightNetBenchmarkBase"/> names them).
/// </summary>
internal static class CaseParameters
{
    public static string? Model(BenchmarkCase benchmarkCase) => Value(benchmarkCase, typeof(LightNetModelsAttribute), "Model") as string;

    public static string? Backend(BenchmarkCase benchmarkCase) => Value(benchmarkCase, typeof(LightNetBackendsAttribute), "Backend") as string;

    public static int? Threads(BenchmarkCase benchmarkCase) => Value(benchmarkCase, null, "Threads") is int t and > 0 ? t : null;

    /// <summary>The members of <paramref name="type"/> (public, instance or static, inherited) that carry <paramref name="attribute"/>.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "BenchmarkDotNet reads the same public members of benchmark types by reflection and keeps them.")]
    public static IEnumerable<MemberInfo> MembersWith(Type type, Type attribute) =>
        type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy)
            .Where(m => m is PropertyInfo or FieldInfo && m.IsDefined(attribute, inherit: true));

    private static object? Value(BenchmarkCase benchmarkCase, Type? attribute, string defaultName)
    {
        string name = defaultName;
        if (attribute is not null && MembersWith(benchmarkCase.Descriptor.Type, attribute).FirstOrDefault() is { } member)
        {
            name = member.Name;
        }

        return benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == name)?.Value;
    }
}
