"""A map-only mrjob job whose mapper is the `preprocess_image` binary, as a Hadoop
Streaming job would run it (`-mapper preprocess_image`).

    python mr_preprocess.py -r local --binary /path/to/preprocess_image PATHLIST
"""

import shlex

from mrjob.job import MRJob
from mrjob.step import MRStep


class MRPreprocess(MRJob):
    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg("--binary", required=True, help="the preprocess_image binary")
        self.add_passthru_arg("--recipe", default="ct-standard")

    def steps(self):
        command = [self.options.binary, "--recipe", self.options.recipe]
        return [MRStep(mapper_cmd=shlex.join(command))]


if __name__ == "__main__":
    MRPreprocess.run()
