using Xunit;

namespace LightNet.Tests;

public class SmokeTests
{
    [Fact]
    public void ExceptionCarriesCode()
    {
        var e = new LightNetException(ErrorCode.InvalidModel, "x");
        Assert.Equal(ErrorCode.InvalidModel, e.Code);
    }
}
