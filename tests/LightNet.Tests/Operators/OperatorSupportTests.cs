using LightNet.Operators;
using Xunit;

namespace LightNet.Tests.Operators;

/// <summary>The operator registry and the documentation generated from it.</summary>
public class OperatorSupportTests
{
    [Fact]
    public void DocsOperatorsMdIsGeneratedFromTheRegistry()
    {
        string path = Path.Combine(RepositoryRoot(), "docs", "operators.md");
        string expected = OperatorSupport.ToMarkdown().ReplaceLineEndings("\n");
        Assert.True(File.Exists(path) && File.ReadAllText(path).ReplaceLineEndings("\n") == expected,
            "docs/operators.md is out of date with the operator registry: regenerate it with " +
            "`dotnet run --project src/LightNet.Cli -- operators --md > docs/operators.md`.");
    }

    [Fact]
    public void EveryCompiledOperatorIsInTheRegistry()
    {
        foreach (string op in LightNet.Engine.SupportCheck.Operators)
        {
            Assert.True(OperatorSupport.IsSupported(op), $"{op} is compiled by the fast path but has no registry entry");
        }

        Assert.All(OperatorSupport.CpuSimd, o => Assert.False(string.IsNullOrWhiteSpace(o.Types)));
        Assert.Equal(OperatorSupport.CpuSimd.Count, OperatorSupport.CpuSimd.Select(o => (o.Domain, o.OpType)).Distinct().Count());
    }

    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "LightNet.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("LightNet.sln not found above " + AppContext.BaseDirectory);
    }
}
